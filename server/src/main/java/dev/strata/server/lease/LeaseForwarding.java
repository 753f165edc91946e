package dev.strata.server.lease;

import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import dev.strata.server.lease.proto.LeaseQuery;
import dev.strata.server.lease.proto.LeaseQueryReply;
import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Renew and TimeToLive of a follower, answered by the leader (etcd's {@code LeaseRenew} /
 * {@code LeaseTimeToLive} forwarding, {@code server/etcdserver/v3_server.go}). {@link #leader} is the
 * follower's {@link LeaseServer.Leader}: it encodes a {@link LeaseQuery} and hands it to a transport
 * (Ratis' read-only request to the leader, which retries on leader change); {@link #serve} decodes it
 * on the leader and runs it against the leader's {@link LeaseServer}.
 */
public final class LeaseForwarding {

  private LeaseForwarding() {}

  /** A follower's leader seam over {@code send}: query bytes in, reply bytes out. */
  public static LeaseServer.Leader leader(Function<byte[], CompletableFuture<byte[]>> send) {
    return new LeaseServer.Leader() {
      @Override
      public CompletableFuture<Long> renew(long id) {
        return call(send, LeaseQuery.newBuilder().setRenewId(id).build()).thenApply(r -> {
          if (r.getResultCase() != LeaseQueryReply.ResultCase.RENEW_TTL) {
            throw new IllegalStateException("unexpected lease reply to renew: " + r.getResultCase());
          }
          return r.getRenewTtl();
        });
      }

      @Override
      public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest req) {
        return call(send, LeaseQuery.newBuilder().setTimeToLive(req).build()).thenApply(r -> {
          if (r.getResultCase() != LeaseQueryReply.ResultCase.TIME_TO_LIVE) {
            throw new IllegalStateException("unexpected lease reply to timeToLive: " + r.getResultCase());
          }
          return r.getTimeToLive();
        });
      }
    };
  }

  private static CompletableFuture<LeaseQueryReply> call(Function<byte[], CompletableFuture<byte[]>> send,
      LeaseQuery q) {
    return send.apply(q.toByteArray()).handle((bytes, err) -> {
      if (err != null) {
        // the transport gave up (its deadline passed without a leader answering)
        Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        throw t instanceof EtcdException e ? e
            : (t instanceof TimeoutException ? EtcdError.TIMEOUT : EtcdError.NO_LEADER).exception();
      }
      LeaseQueryReply r;
      try {
        r = LeaseQueryReply.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new CompletionException(e);
      }
      if (r.getResultCase() == LeaseQueryReply.ResultCase.ETCD_ERROR) {
        throw errorOf(r.getEtcdError()).exception();
      }
      return r;
    });
  }

  private static EtcdError errorOf(String name) {
    try {
      return EtcdError.valueOf(name);
    } catch (IllegalArgumentException e) {
      return EtcdError.NO_LEADER; // a newer leader's error this member does not know: retryable
    }
  }

  /**
   * On the leader: answers a forwarded query from {@code server}. etcd errors travel in the reply;
   * anything else fails the future (the follower sees a Ratis failure).
   */
  public static CompletableFuture<byte[]> serve(Supplier<LeaseServer> server, byte[] query) {
    LeaseQuery q;
    try {
      q = LeaseQuery.parseFrom(query);
    } catch (InvalidProtocolBufferException e) {
      return CompletableFuture.failedFuture(e);
    }
    LeaseServer s = server.get();
    if (s == null) {
      return CompletableFuture.completedFuture(error(EtcdError.NO_LEADER));
    }
    CompletableFuture<LeaseQueryReply> reply = switch (q.getOpCase()) {
      case RENEW_ID -> s.renew(q.getRenewId()).thenApply(ttl -> LeaseQueryReply.newBuilder().setRenewTtl(ttl).build());
      case TIME_TO_LIVE -> s.timeToLive(q.getTimeToLive())
          .thenApply(r -> LeaseQueryReply.newBuilder().setTimeToLive(r).build());
      case OP_NOT_SET -> CompletableFuture.failedFuture(new IllegalArgumentException("empty lease query"));
    };
    return reply.handle((r, err) -> {
      if (err == null) {
        return r.toByteArray();
      }
      Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (t instanceof EtcdException e) {
        return error(e.error());
      }
      throw new CompletionException(t);
    });
  }

  private static byte[] error(EtcdError e) {
    return LeaseQueryReply.newBuilder().setEtcdError(e.name()).build().toByteArray();
  }
}
