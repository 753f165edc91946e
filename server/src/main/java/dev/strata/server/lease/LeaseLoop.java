package dev.strata.server.lease;

import dev.strata.server.lease.proto.LeaseCheckpoint;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's lease duties (etcd's {@code revokeExpiredLeases}/{@code checkpointScheduledLeases} and
 * the Promote/Demote calls in {@code server/etcdserver/server.go}), on one timer thread:
 * <ul>
 *   <li>on becoming leader, once everything committed before is applied (so the lessor holds every
 *       earlier grant and checkpoint), promote the lessor: deadlines restart from the checkpointed
 *       remaining TTL (else the full TTL) plus the election timeout;</li>
 *   <li>on losing leadership, demote it: followers never expire leases by their own clock;</li>
 *   <li>while primary, propose a Revoke through Raft for each expired lease, and a Checkpoint entry
 *       with the remaining TTLs that are due. Expiry takes effect only when the Revoke applies, on
 *       every member alike.</li>
 * </ul>
 */
public final class LeaseLoop implements AutoCloseable {

  /** What the loop needs from Raft. */
  public interface Leadership {
    boolean isLeader();

    long term();

    /** Completes once this member applied everything committed so far (a ReadIndex round). */
    CompletableFuture<Void> caughtUp();
  }

  private static final Logger LOG = LoggerFactory.getLogger(LeaseLoop.class);
  /** etcd: at most 500 expired leases looked at per round, 1000 checkpoints per entry. */
  private static final int MAX_REVOKES_PER_TICK = 500;
  private static final int MAX_CHECKPOINTS_PER_ENTRY = 1000;

  private final Lessor lessor;
  private final LeaseServer server;
  private final Leadership raft;
  private final ScheduledExecutorService timer;
  private final ScheduledFuture<?> task;
  /** Timer thread only. */
  private long primaryTerm = -1;
  private volatile CompletableFuture<Void> promoting;
  private volatile boolean closed;

  private LeaseLoop(Lessor lessor, LeaseServer server, Leadership raft, ScheduledExecutorService timer) {
    this.lessor = lessor;
    this.server = server;
    this.raft = raft;
    this.timer = timer;
    long tick = lessor.options().tick().toMillis();
    this.task = timer.scheduleWithFixedDelay(this::tickSafely, tick, tick, TimeUnit.MILLISECONDS);
  }

  /** Starts the loop on {@code timer} (a single thread, shared with the lease server's waits). */
  public static LeaseLoop start(Lessor lessor, LeaseServer server, Leadership raft,
      ScheduledExecutorService timer) {
    return new LeaseLoop(lessor, server, raft, timer);
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      // e.g. Raft closing under us at shutdown; the next tick looks again
      if (!closed) {
        LOG.warn("lease loop tick failed: error=\"{}\"", e.toString());
      }
    }
  }

  private void tick() {
    if (closed) {
      return;
    }
    if (!raft.isLeader()) {
      if (lessor.isPrimary()) {
        LOG.info("lessor demoted: leadership lost");
        lessor.demote();
      }
      primaryTerm = -1;
      return;
    }
    long term = raft.term();
    if (!lessor.isPrimary() || term != primaryTerm) {
      promote(term);
      return;
    }
    for (long id : lessor.expired(MAX_REVOKES_PER_TICK)) {
      server.proposeRevoke(id).whenComplete((r, err) -> {
        if (err != null) {
          // not found = already revoked by a client; anything else is retried after revokeRetry
          LOG.debug("expired lease revoke failed: lease={} error=\"{}\"", Long.toHexString(id), err.toString());
        }
      });
    }
    List<LeaseCheckpoint> cps = lessor.dueCheckpoints(MAX_CHECKPOINTS_PER_ENTRY);
    if (!cps.isEmpty()) {
      server.proposeCheckpoints(cps).whenComplete((r, err) -> {
        if (err != null) {
          LOG.warn("lease checkpoint failed: leases={} error=\"{}\"", cps.size(), err.toString());
        }
      });
    }
  }

  /** Promotes once caught up; a promotion still in flight is awaited by later ticks. */
  private void promote(long term) {
    if (promoting != null && !promoting.isDone()) {
      return;
    }
    if (lessor.isPrimary()) {
      lessor.demote(); // a new term while we were not looking: restart the deadlines from scratch
    }
    promoting = raft.caughtUp();
    // Back onto the timer thread, so every lessor role change happens on one thread.
    promoting.whenComplete((v, err) -> {
      if (err != null) {
        LOG.debug("lessor promotion waits: error=\"{}\"", err.toString());
      } else if (!closed) {
        timer.execute(() -> finishPromotion(term));
      }
    });
  }

  private void finishPromotion(long term) {
    if (closed || !raft.isLeader() || raft.term() != term || lessor.isPrimary()) {
      return;
    }
    lessor.promote(lessor.options().promoteExtend().toNanos());
    primaryTerm = term;
    LOG.info("lessor promoted: term={}", term);
  }

  @Override
  public void close() {
    closed = true;
    task.cancel(false);
    if (lessor.isPrimary()) {
      lessor.demote();
    }
  }
}
