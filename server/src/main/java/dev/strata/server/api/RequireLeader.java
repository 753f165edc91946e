package dev.strata.server.api;

import dev.strata.server.EtcdError;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * etcd's require-leader check ({@code v3rpc/interceptor.go}, unary and stream interceptors): a call
 * whose metadata says {@code hasleader: true} (clientv3's {@code WithRequireLeader}; etcdctl sets it on
 * watches) fails at once with {@code etcdserver: no leader} (UNAVAILABLE) while this member knows no
 * leader, before any handler runs, even a serializable read. Such streams already open are ended with
 * the same error once the member has known no leader for 3 election timeouts in a row (etcd's
 * {@code monitorLeader}, {@code maxNoLeaderCnt}). Without the metadata, calls wait for a leader until
 * the request timeout, as in etcd.
 */
final class RequireLeader implements ServerInterceptor, AutoCloseable {

  static final Metadata.Key<String> KEY = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);
  private static final int MAX_NO_LEADER_COUNT = 3;

  private final LongSupplier leaderId;
  private final Set<GuardedCall<?, ?>> streams = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService monitor;
  private int noLeaderCount;

  /** {@code leaderId}: the member id of the leader this member knows, 0 if none. */
  RequireLeader(LongSupplier leaderId, Duration electionTimeout) {
    this.leaderId = leaderId;
    this.monitor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-leader-monitor");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, electionTimeout.toMillis());
    monitor.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!requiresLeader(headers)) {
      return next.startCall(call, headers);
    }
    if (leaderId.getAsLong() == 0) {
      call.close(EtcdError.NO_LEADER.status(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY) {
      return next.startCall(call, headers);
    }
    GuardedCall<Q, R> guarded = new GuardedCall<>(call);
    streams.add(guarded);
    ServerCall.Listener<Q> listener = next.startCall(guarded, headers);
    return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        streams.remove(guarded);
        if (guarded.endedForNoLeader) {
          // closed by the monitor, not by the handler: the handler must learn the stream is gone
          // (its cancel handler frees the watchers), as it would had the client cancelled
          super.onCancel();
        } else {
          super.onComplete();
        }
      }

      @Override
      public void onCancel() {
        streams.remove(guarded);
        super.onCancel();
      }
    };
  }

  private void check() {
    try {
      noLeaderCount = leaderId.getAsLong() == 0 ? noLeaderCount + 1 : 0;
    } catch (RuntimeException e) {
      return; // raft closing down
    }
    if (noLeaderCount >= MAX_NO_LEADER_COUNT) {
      for (GuardedCall<?, ?> s : streams) {
        streams.remove(s);
        s.endForNoLeader();
      }
    }
  }

  /** grpc-go's {@code md[key][0] == "true"}: the first value counts. */
  static boolean requiresLeader(Metadata headers) {
    Iterable<String> values = headers.getAll(KEY);
    if (values == null) {
      return false;
    }
    var it = values.iterator();
    return it.hasNext() && "true".equals(it.next());
  }

  @Override
  public void close() {
    monitor.shutdownNow();
  }

  /**
   * A stream the monitor may close from its own thread: ServerCall is not thread-safe, so every
   * outbound method holds one lock, and after the close the handler's later sends are dropped.
   */
  private static final class GuardedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private boolean closed;
    volatile boolean endedForNoLeader;

    GuardedCall(ServerCall<Q, R> call) {
      super(call);
    }

    synchronized void endForNoLeader() {
      if (!closed) {
        endedForNoLeader = true;
        close(EtcdError.NO_LEADER.status(), new Metadata());
      }
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        super.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (!closed) {
        super.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        super.close(status, trailers);
      }
    }

    @Override
    public synchronized void request(int numMessages) {
      if (!closed) {
        super.request(numMessages);
      }
    }

    @Override
    public synchronized boolean isReady() {
      return !closed && super.isReady();
    }
  }
}
