package dev.strata.server.etcdserver;

import dev.strata.backend.BackendFactory;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.DataDir;
import dev.strata.server.membership.MemberRegistry;
import dev.strata.server.mvcc.MvccStore;
import dev.strata.server.snapshot.BackendSwap;
import dev.strata.server.snapshot.SwappableBackend;
import dev.strata.server.watch.WatchHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a sealed snapshot the running member's live state without a restart (etcd's
 * {@code applySnapshot}: backend swap, then {@code kv.Restore}, {@code lessor.Recover}, membership
 * reload). Every stateful component is told in dependency order: the backend handle swaps engine
 * instances (crash-safe rename in between), the MVCC store reloads META and its key index, the lessor
 * and the member registry reload from the new store, and the watch hub moves its watchers back to
 * catch-up from the revisions they expect next. Components that only hold the backend handle (quota,
 * status, the snapshot service) see the new engine with no call at all.
 *
 * <p>Runs on the apply thread while Raft applies nothing ({@code StateMachine.reinitialize}).
 */
final class StoreRestore {

  private static final Logger LOG = LoggerFactory.getLogger(StoreRestore.class);

  private final DataDir dataDir;
  private final BackendFactory engine;
  private final SwappableBackend backend;
  private final MvccStore mvcc;
  private final MemberLeases leases;
  private final MemberRegistry members;
  private final WatchHub watches;

  StoreRestore(DataDir dataDir, BackendFactory engine, SwappableBackend backend, MvccStore mvcc,
      MemberLeases leases, MemberRegistry members, WatchHub watches) {
    this.dataDir = dataDir;
    this.engine = engine;
    this.backend = backend;
    this.mvcc = mvcc;
    this.leases = leases;
    this.members = members;
    this.watches = watches;
  }

  void run() {
    BackendSwap swap = new BackendSwap(dataDir);
    if (!swap.sealed()) {
      throw new IllegalStateException("reload requested but no snapshot is sealed in " + dataDir.memberDir());
    }
    long before = mvcc.appliedIndex();
    long started = System.nanoTime();
    mvcc.reload(() -> backend.replace(swap::recover, () -> dataDir.openBackend(engine, BackendOptions.defaults())));
    leases.reload(backend, mvcc);
    members.reload(backend);
    watches.restore();
    LOG.info("store restored from snapshot: appliedIndex={} previousAppliedIndex={} revision={} "
        + "compactRevision={} tookMs={}", mvcc.appliedIndex(), before, mvcc.currentRevision(),
        mvcc.compactRevision(), (System.nanoTime() - started) / 1_000_000);
  }
}
