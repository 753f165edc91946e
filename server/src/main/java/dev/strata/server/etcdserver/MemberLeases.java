package dev.strata.server.etcdserver;

import dev.strata.backend.Backend;
import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.lease.LeaseApplier;
import dev.strata.server.lease.LeaseLoop;
import dev.strata.server.lease.LeaseOptions;
import dev.strata.server.lease.LeaseServer;
import dev.strata.server.lease.Lessor;
import dev.strata.server.lease.LeaseBucket;
import dev.strata.server.lease.LeaseForwarding;
import dev.strata.server.mvcc.MvccStore;
import dev.strata.server.raft.RaftNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A member's lease machinery, wired in {@link Member}'s startup order: the lessor exists before the
 * store opens (the store's {@code leaseExists} asks it), is rebuilt once the store is open, applies
 * through {@link #applier()} once Raft runs, and gets its server and leader loop last.
 */
final class MemberLeases implements AutoCloseable {

  private final Lessor lessor;
  private final ScheduledExecutorService timer;
  private LeaseApplier applier;
  private LeaseServer server;
  private LeaseLoop loop;

  private MemberLeases(Lessor lessor) {
    this.lessor = lessor;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-lease");
      t.setDaemon(true);
      return t;
    });
  }

  static MemberLeases create(ServerConfig cfg) {
    return new MemberLeases(new Lessor(LeaseOptions.forElectionTimeout(cfg.electionTimeoutMin()), System::nanoTime));
  }

  Lessor lessor() {
    return lessor;
  }

  /** Rebuilds the lessor from the store and hooks it into the store's write path; before Raft starts. */
  void restore(Backend backend, MvccStore mvcc) {
    LeaseBucket.restore(backend, mvcc, lessor);
    mvcc.setLeaseAttachments(lessor);
    applier = new LeaseApplier(lessor, mvcc);
  }

  /** Rebuilds the lessor after a snapshot install replaced the store (apply thread, nothing applying). */
  void reload(Backend backend, MvccStore mvcc) {
    LeaseBucket.reload(backend, mvcc, lessor);
  }

  LeaseApplier applier() {
    return applier;
  }

  /** Starts serving lease requests and the leader loop. */
  LeaseServer start(ServerConfig cfg, ClusterIdentity ids, RaftNode raft, Proposer proposer, Backend backend,
      Executor executor) {
    Quota quota = new Quota(backend, cfg.quotaBackendBytes());
    server = new LeaseServer(lessor, new LeaseProposals(cfg, raft, proposer, quota, executor),
        LeaseForwarding.leader(raft::queryLeader), raft::isLeader, ids.memberId(), timer, cfg.requestTimeout());
    LeaseServer s = server;
    // followers' renew/TimeToLive arrive as Ratis read-only queries; served off Ratis' threads
    raft.setQueryHandler(q -> {
      try {
        return CompletableFuture.supplyAsync(() -> LeaseForwarding.serve(() -> s, q), timer).thenCompose(f -> f);
      } catch (RejectedExecutionException e) {
        return CompletableFuture.failedFuture(e); // closing: the follower retries with the next leader
      }
    });
    loop = LeaseLoop.start(lessor, server, new LeaseLoop.Leadership() {
      @Override
      public boolean isLeader() {
        return raft.isLeader();
      }

      @Override
      public long term() {
        return raft.currentTerm();
      }

      @Override
      public CompletableFuture<Void> caughtUp() {
        return raft.readIndex();
      }
    }, timer);
    return server;
  }

  /** Stops the leader loop first, so nothing proposes into a closing Raft. */
  @Override
  public void close() {
    if (loop != null) {
      loop.close();
    }
    timer.shutdownNow();
  }
}
