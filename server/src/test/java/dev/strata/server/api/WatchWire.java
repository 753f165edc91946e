package dev.strata.server.api;

import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One raw {@code etcdserverpb.Watch} stream, as the Go client drives it: watches are created one at a
 * time, each waiting for its {@code created} reply. Every response is recorded in arrival order, so a
 * test can compare whole streams between servers. Waits are bounded and event-driven (no sleeps).
 */
final class WatchWire implements AutoCloseable {

  static final long TIMEOUT_MS = 30_000;

  private final List<WatchResponse> got = new ArrayList<>();
  private ClientCallStreamObserver<WatchRequest> call;
  private Throwable failed;

  WatchWire(Channel channel) {
    WatchGrpc.newStub(channel).watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<WatchRequest> c) {
        call = c;
      }

      @Override
      public void onNext(WatchResponse r) {
        synchronized (WatchWire.this) {
          got.add(r);
          WatchWire.this.notifyAll();
        }
      }

      @Override
      public void onError(Throwable t) {
        synchronized (WatchWire.this) {
          failed = t;
          WatchWire.this.notifyAll();
        }
      }

      @Override
      public void onCompleted() {
      }
    });
  }

  /** Sends a create and returns its reply (the next {@code created} response on this stream). */
  WatchResponse create(WatchCreateRequest req) {
    int before = count(r -> r.getCreated());
    synchronized (this) {
      call.onNext(WatchRequest.newBuilder().setCreateRequest(req).build());
    }
    List<WatchResponse> rs = await(l -> l.stream().filter(WatchResponse::getCreated).count() > before,
        "created reply for " + req);
    return rs.stream().filter(WatchResponse::getCreated).skip(before).findFirst().orElseThrow();
  }

  synchronized void cancel(long watchId) {
    call.onNext(WatchRequest.newBuilder()
        .setCancelRequest(io.etcd.jetcd.api.WatchCancelRequest.newBuilder().setWatchId(watchId)).build());
  }

  /** Waits until the recorded responses satisfy {@code p}; returns a copy of them. */
  synchronized List<WatchResponse> await(Predicate<List<WatchResponse>> p, String what) {
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (!p.test(got)) {
      if (failed != null) {
        fail("stream failed while waiting for " + what + ": " + failed);
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        fail("timed out waiting for " + what + "; got " + got.size() + " responses: " + got);
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
    return new ArrayList<>(got);
  }

  /** Waits until watch {@code id} got an event at revision {@code rev} or later. */
  List<Event> awaitEventAtLeast(long id, long rev) {
    return events(await(l -> lastEventRev(l, id) >= rev, "watch " + id + " reaching revision " + rev), id);
  }

  synchronized List<WatchResponse> responses() {
    return new ArrayList<>(got);
  }

  private synchronized int count(Predicate<WatchResponse> p) {
    return (int) got.stream().filter(p).count();
  }

  @Override
  public synchronized void close() {
    call.cancel("test done", null);
  }

  static List<Event> events(List<WatchResponse> rs, long id) {
    List<Event> out = new ArrayList<>();
    for (WatchResponse r : rs) {
      if (r.getWatchId() == id) {
        out.addAll(r.getEventsList());
      }
    }
    return out;
  }

  static long lastEventRev(List<WatchResponse> rs, long id) {
    long last = 0;
    for (WatchResponse r : rs) {
      if (r.getWatchId() == id && r.getEventsCount() > 0) {
        last = r.getEvents(r.getEventsCount() - 1).getKv().getModRevision();
      }
    }
    return last;
  }

  /** One event as a stable line: revision, type, key, value, create/version, prev_kv. */
  static String describe(Event e) {
    KeyValue kv = e.getKv();
    StringBuilder s = new StringBuilder().append(kv.getModRevision()).append(' ').append(e.getType())
        .append(' ').append(kv.getKey().toStringUtf8()).append('=').append(kv.getValue().toStringUtf8())
        .append(" c=").append(kv.getCreateRevision()).append(" v=").append(kv.getVersion())
        .append(" l=").append(kv.getLease());
    if (e.hasPrevKv()) {
      KeyValue p = e.getPrevKv();
      s.append(" prev=").append(p.getValue().toStringUtf8()).append('@').append(p.getModRevision())
          .append("/c").append(p.getCreateRevision()).append("/v").append(p.getVersion());
    }
    return s.toString();
  }

  static List<String> describe(List<Event> evs) {
    return evs.stream().map(WatchWire::describe).toList();
  }

  static WatchCreateRequest.Builder watchOf(String key, String rangeEnd) {
    WatchCreateRequest.Builder b = WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8(key));
    if (rangeEnd != null) {
      b.setRangeEnd(ByteString.copyFromUtf8(rangeEnd));
    }
    return b;
  }
}
