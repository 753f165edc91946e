package dev.strata.server.lease;

import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import dev.strata.server.lease.proto.LeaseCheckpoint;
import dev.strata.server.lease.proto.LeaseCheckpointRequest;
import dev.strata.server.lease.proto.LeaseLeasesResponse;
import dev.strata.server.lease.proto.LeaseStatus;
import dev.strata.server.raft.proto.Request;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.ResponseHeader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The member's lease operations (etcd's {@code EtcdServer.LeaseGrant/LeaseRevoke/LeaseRenew/
 * LeaseTimeToLive/LeaseLeases}, {@code server/etcdserver/v3_server.go}): what the Lease service and
 * in-process users (Lock/Election sessions) call. Grant and Revoke go through Raft; renewals and
 * TimeToLive are answered by the primary lessor, i.e. on the leader.
 *
 * <p>On a member whose lessor is not primary, renew and TimeToLive go to the {@link Leader} seam. A
 * member that is the Raft leader but not yet promoted (its first entries are still applying) waits
 * for the promotion instead. Responses' headers carry only a revision (0 = current); the caller
 * fills cluster, member and term.
 */
public final class LeaseServer {

  /** Admits and replicates one request; completes with its apply result. */
  @FunctionalInterface
  public interface Proposals {
    /**
     * @param quotaCost etcd's backend quota cost (LeaseGrant 64; internal revokes and checkpoints 0)
     * @throws EtcdException on admission (quota, backlog)
     */
    CompletableFuture<Object> propose(Request.Builder request, long quotaCost);
  }

  /**
   * Where renewals and TimeToLive go when this member's lessor is not primary. etcd forwards them to
   * the leader over peer HTTP; a Strata implementation can use Ratis' read-only request to the leader
   * (routed to its state machine's query). {@link #unavailable()} is the single-member answer.
   */
  public interface Leader {
    CompletableFuture<Long> renew(long id);

    CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest r);

    /**
     * Fails with UNAVAILABLE "etcdserver: no leader": clients retry UNAVAILABLE (the Go client's
     * keepalive loop and jetcd reconnect), while a FAILED_PRECONDITION would stop their keepalives.
     */
    static Leader unavailable() {
      return new Leader() {
        @Override
        public CompletableFuture<Long> renew(long id) {
          return CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception());
        }

        @Override
        public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest r) {
          return CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception());
        }
      };
    }
  }

  /** etcd's Lease quota cost ({@code server/etcdserver/quota.go}). */
  static final long GRANT_COST = 64;
  private static final long PROMOTION_POLL_MS = 20;

  private final Lessor lessor;
  private final Proposals proposals;
  private final Leader leader;
  private final BooleanSupplier isRaftLeader;
  private final LeaseIds ids;
  private final ScheduledExecutorService timer;
  private final Duration timeout;

  public LeaseServer(Lessor lessor, Proposals proposals, Leader leader,
      BooleanSupplier isRaftLeader, long memberId, ScheduledExecutorService timer,
      Duration requestTimeout) {
    this.lessor = lessor;
    this.proposals = proposals;
    this.leader = leader;
    this.isRaftLeader = isRaftLeader;
    this.ids = new LeaseIds(memberId, System.currentTimeMillis());
    this.timer = timer;
    this.timeout = requestTimeout;
  }

  /**
   * Grants a lease; {@code ID} 0 lets the server pick a unique positive id (etcd's {@code reqIDGen},
   * skipping ids this member knows). Errors: too large TTL, lease already exists (checked at apply).
   */
  public CompletableFuture<LeaseGrantResponse> grant(LeaseGrantRequest r) {
    LeaseGrantRequest req = r;
    if (req.getID() == 0) {
      long id;
      do {
        id = ids.next();
      } while (lessor.exists(id));
      req = req.toBuilder().setID(id).build();
    }
    return propose(Request.newBuilder().setLeaseGrant(req), GRANT_COST).thenApply(LeaseGrantResponse.class::cast);
  }

  /** Revokes a lease, deleting its keys in one revision; unknown → "requested lease not found". */
  public CompletableFuture<LeaseRevokeResponse> revoke(LeaseRevokeRequest r) {
    return propose(Request.newBuilder().setLeaseRevoke(r), 0).thenApply(LeaseRevokeResponse.class::cast);
  }

  /**
   * Renews on the primary (etcd's {@code LeaseRenew}): the granted TTL, or 0 if the lease does not
   * exist or expired (then only after its revoke applied). Other failures are etcd errors.
   */
  public CompletableFuture<Long> renew(long id) {
    return onPrimary(() -> renewLocal(id), () -> leader.renew(id));
  }

  /** TimeToLive on the primary: remaining seconds (truncated), granted TTL, keys if asked; -1 if unknown. */
  public CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest r) {
    return onPrimary(() -> CompletableFuture.completedFuture(timeToLiveLocal(r)), () -> leader.timeToLive(r));
  }

  /** This member's leases, soonest deadline first (etcd answers from the local lessor, too). */
  public LeaseLeasesResponse leases() {
    LeaseLeasesResponse.Builder b = LeaseLeasesResponse.newBuilder().setHeader(ResponseHeader.getDefaultInstance());
    for (long id : lessor.idsByExpiry()) {
      b.addLeases(LeaseStatus.newBuilder().setID(id));
    }
    return b.build();
  }

  /** Whether a lease exists on this member (applied state; no Raft round). */
  public boolean exists(long id) {
    return lessor.exists(id);
  }

  /** The expiry loop's revoke: internal, no quota (etcd proposes it like a client revoke). */
  CompletableFuture<Object> proposeRevoke(long id) {
    return propose(Request.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)), 0);
  }

  CompletableFuture<Object> proposeCheckpoints(List<LeaseCheckpoint> cps) {
    return propose(Request.newBuilder().setLeaseCheckpoint(
        LeaseCheckpointRequest.newBuilder().addAllCheckpoints(cps)), 0);
  }

  /** Admission failures become failed futures: every operation here reports errors one way. */
  private CompletableFuture<Object> propose(Request.Builder request, long quotaCost) {
    try {
      return proposals.propose(request, quotaCost);
    } catch (EtcdException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<Long> renewLocal(long id) {
    return switch (lessor.checkRenew(id)) {
      case NOT_FOUND -> CompletableFuture.completedFuture(0L);
      // expired, revoke pending: answer once it applied; if leadership moves first, start over
      case EXPIRED -> lessor.revokedOrDemoted(id)
          .handle((v, err) -> err == null ? CompletableFuture.completedFuture(0L) : renew(id))
          .thenCompose(Function.identity());
      case CLEAR_CHECKPOINT -> proposeCheckpoints(List.of(LeaseCheckpoint.newBuilder().setID(id).build()))
          .thenCompose(v -> refreshed(id));
      case READY -> refreshed(id);
      case NOT_PRIMARY -> renew(id); // demoted meanwhile: start over (waits or goes to the leader)
    };
  }

  private CompletableFuture<Long> refreshed(long id) {
    long ttl = lessor.refresh(id);
    return ttl >= 0 ? CompletableFuture.completedFuture(ttl) : renew(id);
  }

  private LeaseTimeToLiveResponse timeToLiveLocal(LeaseTimeToLiveRequest r) {
    LeaseTimeToLiveResponse.Builder b = LeaseTimeToLiveResponse.newBuilder()
        .setHeader(ResponseHeader.getDefaultInstance()).setID(r.getID());
    lessor.timeToLive(r.getID(), r.getKeys()).ifPresentOrElse(
        t -> b.setTTL(t.ttl()).setGrantedTTL(t.grantedTtl()).addAllKeys(t.keys()),
        () -> b.setTTL(-1));
    return b.build();
  }

  /**
   * Runs {@code local} if this lessor is primary; waits (polling) while this member leads Raft but
   * is not promoted yet; otherwise asks the leader. Gives up with "request timed out".
   */
  private <T> CompletableFuture<T> onPrimary(Supplier<CompletableFuture<T>> local,
      Supplier<CompletableFuture<T>> remote) {
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(local, remote, System.nanoTime() + timeout.toNanos(), result);
    return result;
  }

  private <T> void attempt(Supplier<CompletableFuture<T>> local, Supplier<CompletableFuture<T>> remote,
      long deadline, CompletableFuture<T> result) {
    CompletableFuture<T> f;
    if (lessor.isPrimary()) {
      f = local.get();
    } else if (isRaftLeader.getAsBoolean()) {
      if (System.nanoTime() >= deadline) {
        result.completeExceptionally(EtcdError.TIMEOUT.exception());
        return;
      }
      try {
        timer.schedule(() -> attempt(local, remote, deadline, result), PROMOTION_POLL_MS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        result.completeExceptionally(EtcdError.STOPPED.exception()); // member closing
      }
      return;
    } else {
      f = remote.get();
    }
    f.whenComplete((v, err) -> {
      if (err != null) {
        result.completeExceptionally(err instanceof CompletionException && err.getCause() != null
            ? err.getCause() : err);
      } else {
        result.complete(v);
      }
    });
  }
}
