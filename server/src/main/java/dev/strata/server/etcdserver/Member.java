package dev.strata.server.etcdserver;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFactory;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.DataDir;
import dev.strata.server.EtcdError;
import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.mvcc.MvccOptions;
import dev.strata.server.mvcc.MvccStore;
import dev.strata.server.membership.ClusterBootstrap;
import dev.strata.server.membership.ConfReconciler;
import dev.strata.server.membership.MemberQueries;
import dev.strata.server.membership.MemberRegistry;
import dev.strata.server.membership.RemovalWatch;
import dev.strata.server.raft.Halt;
import dev.strata.server.raft.RaftNode;
import dev.strata.server.raft.SnapshotInstaller;
import dev.strata.server.snapshot.BackendSwap;
import dev.strata.server.snapshot.SnapshotCatchUp;
import dev.strata.server.snapshot.SnapshotService;
import dev.strata.server.snapshot.SwappableBackend;
import dev.strata.server.watch.WatchHub;
import dev.strata.server.watch.WatchOptions;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.security.SecureRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running member: its backend, MVCC store, Raft node and request machinery, opened in dependency
 * order and closed in reverse (Raft first, so nothing applies into a closed store).
 */
public final class Member implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Member.class);

  /** Bounds of one proposal batch (one Raft entry). */
  static final int BATCH_MAX_REQUESTS = 1024;
  static final long BATCH_LINGER_NANOS = 1_000_000L;
  /**
   * Entries in flight per member: the outstanding writes are split among them, so fewer means bigger
   * batches and more means more pipelining. Fewer, bigger entries won on a 3-member cluster, where every
   * entry costs each member a Ratis round (and a follower a forwarding call and a commit-index pull):
   * `check perf --load=l` over 3 members did 1,315-1,509 writes/s with 8 (five runs), 1,523 with 4,
   * 1,537-1,881 with 2 (three runs), 1,857 with 1; a single member 3,829 / 3,893 / 3,968 with 8 / 2 / 1
   * (docs/benchmarks.md). 2 keeps one entry filling while one is replicated.
   * {@code -Dstrata.proposer.maxInFlight} overrides it for benchmarking.
   */
  static final int MAX_ENTRIES_IN_FLIGHT = Integer.getInteger("strata.proposer.maxInFlight", 2);

  private final Backend backend;
  private final MvccStore mvcc;
  private final Waiters waiters;
  private final RaftNode raft;
  private final Proposer proposer;
  private final ExecutorService executor;
  private final EtcdServer server;
  private final MemberLeases leases;
  private final SnapshotCatchUp catchUp;
  private final SnapshotService snapshots;
  private final ConfReconciler reconciler;
  private final AutoCloseable lock;

  private Member(Backend backend, MvccStore mvcc, Waiters waiters, RaftNode raft, Proposer proposer,
      ExecutorService executor, EtcdServer server, MemberLeases leases, SnapshotCatchUp catchUp,
      SnapshotService snapshots, ConfReconciler reconciler, AutoCloseable lock) {
    this.lock = lock;
    this.leases = leases;
    this.catchUp = catchUp;
    this.snapshots = snapshots;
    this.reconciler = reconciler;
    this.backend = backend;
    this.mvcc = mvcc;
    this.waiters = waiters;
    this.raft = raft;
    this.proposer = proposer;
    this.executor = executor;
    this.server = server;
  }

  /**
   * Opens the data dir with the configured engine and starts Raft; does not wait for a leader.
   *
   * @throws dev.strata.backend.DataDirException if the data dir is unusable or holds another engine
   * @throws IllegalArgumentException for an unknown --backend
   */
  public static Member start(ServerConfig cfg, Halt halt) throws IOException {
    return start(cfg, halt, () -> LOG.warn("removed from the cluster; this in-process member keeps running"));
  }

  /** {@code onRemoved} ends the member once it was removed from the cluster ({@link RemovalWatch}). */
  public static Member start(ServerConfig cfg, Halt halt, Runnable onRemoved) throws IOException {
    DataDir dataDir = new DataDir(cfg.dataDir());
    AutoCloseable lock = dataDir.lock();
    try {
      return start(cfg, halt, onRemoved, dataDir, lock);
    } catch (IOException | RuntimeException e) {
      closeQuietly(lock);
      throw e;
    }
  }

  private static Member start(ServerConfig cfg, Halt halt, Runnable onRemoved, DataDir dataDir, AutoCloseable lock)
      throws IOException {
    // finish (or discard) a snapshot install that a crash interrupted: old backend or new, never a mix
    new BackendSwap(dataDir).recover();
    BackendFactory engine = Backends.factory(cfg.backend());
    // one handle for every component: a snapshot install swaps the engine instance behind it
    SwappableBackend backend = new SwappableBackend(dataDir.openBackend(engine, BackendOptions.defaults()));
    MvccStore mvcc = null;
    SnapshotCatchUp catchUp = null;
    RaftNode raft = null;
    ExecutorService executor = null;
    WatchHub watches = null;
    MemberLeases leases = null;
    ConfReconciler reconciler = null;
    Waiters waiters = null;
    try {
      // after the engine opened the data dir: a joiner asks its peers here (membership.ClusterBootstrap)
      ClusterIdentity ids = ClusterBootstrap.identity(cfg);
      // the lessor answers the store's "does this lease exist" and is rebuilt from the opened store
      leases = MemberLeases.create(cfg);
      mvcc = MvccStore.open(backend, MvccOptions.defaults().withLeaseExists(leases.lessor()::exists));
      leases.restore(backend, mvcc);
      LOG.info("store opened: backend={} dataDir={} revision={} appliedIndex={}", cfg.backend(),
          cfg.dataDir(), mvcc.currentRevision(), mvcc.appliedIndex());
      // Before Raft starts applying, so the hub sees every revision after the one it opens at;
      // responses may be as big as the largest request plus etcd's 512 KiB gRPC allowance.
      watches = WatchHub.start(mvcc, WatchOptions.defaults()
          .withMaxResponseBytes(cfg.maxRequestBytes() + 512 * 1024)
          .withProgressNotifyInterval(cfg.watchProgressNotifyInterval()));
      long incarnation = incarnation();
      waiters = new Waiters(cfg.requestTimeout());
      MemberRegistry members = MemberRegistry.load(backend);
      // the leader's client URL: published through Raft, or — for a new member that has applied
      // nothing yet because the leader purged that log — asked of the leader over Raft
      AtomicReference<RaftNode> raftRef = new AtomicReference<>();
      catchUp = new SnapshotCatchUp(new BackendSwap(dataDir), engine, id -> members.attributes(id)
          .filter(m -> m.getClientURLsCount() > 0).map(m -> URI.create(m.getClientURLs(0)))
          .or(() -> raftRef.get() == null ? Optional.empty()
              : MemberQueries.clientUrlFromLeader(raftRef.get(), id, cfg.requestTimeout())),
          mvcc::appliedIndex, halt);
      raft = RaftNode.start(cfg, ids, new BatchApplier(mvcc, leases.applier(), members, waiters, incarnation), halt,
          installer(catchUp, new StoreRestore(dataDir, engine, backend, mvcc, leases, members, watches)));
      raftRef.set(raft);
      Proposer proposer = new Proposer(raft, waiters, incarnation, BATCH_MAX_REQUESTS,
          Math.max(RaftNode.MAX_BATCH_BYTES, cfg.maxRequestBytes()), BATCH_LINGER_NANOS, MAX_ENTRIES_IN_FLIGHT);
      raft.takeForwarded(proposer::takeForwarded);
      executor = newExecutor();
      EtcdServer server = new EtcdServer(cfg, ids, backend, mvcc, raft, proposer, executor, watches,
          leases.start(cfg, ids, raft, proposer, backend, executor), members);
      SnapshotService snapshots = new SnapshotService(backend::readView,
          dataDir.memberDir().resolve("snapshot-spool"), executor);
      raft.setMemberQueryHandler(new MemberQueries(server.membership(), ids, cfg.strictReconfigCheck(), executor)::answer);
      reconciler = ConfReconciler.start(raft, server.membership());
      RemovalWatch.start(raft, server.membership().registry(), ids.memberId(), onRemoved);
      return new Member(backend, mvcc, waiters, raft, proposer, executor, server, leases, catchUp, snapshots,
          reconciler, lock);
    } catch (IOException | RuntimeException e) {
      closeQuietly(reconciler);
      closeQuietly(catchUp);
      closeQuietly(leases);
      closeQuietly(raft);
      closeQuietly(waiters);
      closeQuietly(watches);
      closeQuietly(mvcc);
      closeQuietly(backend);
      if (executor != null) {
        executor.shutdownNow();
      }
      throw e;
    }
  }

  /** Transfer by {@link SnapshotCatchUp}, live swap by {@link StoreRestore}. */
  private static SnapshotInstaller installer(SnapshotCatchUp catchUp, StoreRestore restore) {
    return new SnapshotInstaller() {
      @Override
      public CompletableFuture<Position> install(LongSupplier leader, long leaderFirstIndex) {
        return catchUp.install(leader, leaderFirstIndex).thenApply(h -> new Position(h.term(), h.index()));
      }

      @Override
      public void reload() {
        restore.run();
      }
    };
  }

  /** A random, non-zero id of this process: 0 is a request's "no proposer named" (Request.proposer). */
  private static long incarnation() {
    SecureRandom random = new SecureRandom();
    long id;
    do {
      id = random.nextLong();
    } while (id == 0);
    return id;
  }

  private static ExecutorService newExecutor() {
    AtomicInteger n = new AtomicInteger();
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "strata-respond-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public EtcdServer server() {
    return server;
  }

  /** The leader side of snapshot catch-up, served on the client port ({@code strata.internal.Snapshot}). */
  public SnapshotService snapshotService() {
    return snapshots;
  }

  /**
   * Blocks until this member can serve linearizable requests: a leader is elected and has committed
   * an entry of its term (before that Ratis answers LeaderNotReadyException), and this member applied
   * up to it.
   */
  public void awaitReady() throws InterruptedException {
    long started = System.nanoTime();
    while (true) {
      long attempt = System.nanoTime();
      try {
        raft.readIndex().get(server.config().requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("raft ready: leader={} term={} waitedMs={}", Long.toHexString(raft.leaderId()),
            raft.currentTerm(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return;
      } catch (ExecutionException | TimeoutException e) {
        LOG.warn("waiting for a raft leader: error=\"{}\"", RaftErrors.unwrap(e).toString());
        // a refusal that comes at once (e.g. a snapshot install in progress) must not turn this into a
        // busy loop that floods the log: retry at most every 200 ms
        long pause = TimeUnit.MILLISECONDS.toNanos(200) - (System.nanoTime() - attempt);
        if (pause > 0) {
          TimeUnit.NANOSECONDS.sleep(pause);
        }
      }
    }
  }

  @Override
  public void close() {
    closeQuietly(reconciler); // it reconfigures Raft: before Raft closes
    closeQuietly(catchUp);
    closeQuietly(leases); // its leader loop proposes: stop it first
    proposer.close();
    closeQuietly(raft);
    waiters.failAll(EtcdError.STOPPED.exception());
    waiters.close();
    executor.shutdownNow();
    // after Raft (nothing applies any more), before the store its catch-up thread reads
    closeQuietly(server.watches());
    closeQuietly(mvcc);
    closeQuietly(backend);
    closeQuietly(lock); // last: the data dir is free for another process now
    LOG.info("member stopped");
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("close failed: resource={} error=\"{}\"", c.getClass().getSimpleName(), e.toString());
    }
  }
}
