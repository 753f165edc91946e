package dev.strata.backend.btree;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFailureException;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.BackendStats;
import dev.strata.backend.Bucket;
import dev.strata.backend.Mutation;
import dev.strata.backend.MutationBatch;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.lmdbjava.Env;
import org.lmdbjava.EnvInfo;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Stat;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The btree {@link Backend}: LMDB, one named database per bucket, one writer, readers that never
 * block it (see {@link LmdbStore} for flags and durability).
 *
 * <p><b>Locks.</b> {@code writeLock} serialises the writer's methods ({@link #commit}, {@link #sync},
 * {@link #defragment}) with {@link #close}. {@link TxnGate} counts open read transactions (views,
 * {@link #stats}, {@link #exportTo}), because the map may only be remapped with none open.
 *
 * <p><b>Map growth.</b> The map starts at {@link BackendOptions#initialSizeBytes()} and doubles up to
 * {@link BackendOptions#maxSizeBytes()}. Before a commit whose bytes might not fit it grows at once
 * if no read transaction is open. Otherwise LMDB's {@code MDB_MAP_FULL} aborts the commit, which then
 * <b>waits until every open read view is closed</b>, grows the map and retries; read views opened
 * meanwhile wait for the resize. So a commit can block on a long-lived view, and a thread that
 * commits while it holds a view open of its own would wait forever (a warning names such views
 * every {@value TxnGate#SLOW_DRAIN_REPORT_SECONDS} s). At the ceiling the commit fails with
 * "database space exceeded".
 */
final class BtreeBackend implements Backend {

  private static final Logger LOG = LoggerFactory.getLogger(BtreeBackend.class);

  /** Where {@link #defragment} builds the compacted copy; a leftover is an interrupted defrag. */
  static final String DEFRAG_DIR = "defrag.tmp";

  /** Pages of slack in the pre-commit size check: branch pages and copy-on-write of touched pages. */
  private static final long GROW_AHEAD_SLACK_PAGES = 64;

  private final Path dir;
  private final BackendOptions options;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final TxnGate gate;
  private final Set<BtreeReadView> views = ConcurrentHashMap.newKeySet();
  /** Replaced only by {@link #defragment}, under an exclusive gate; read it under the gate. */
  private volatile LmdbStore store;
  private volatile boolean closed;

  private BtreeBackend(Path dir, BackendOptions options, LmdbStore store) {
    this.dir = dir;
    this.options = options;
    this.store = store;
    this.gate = new TxnGate("btree backend " + dir + " is closed");
  }

  static BtreeBackend open(Path dir, BackendOptions options) {
    DirFiles.prepareBackendDir(dir);
    // The file in place is whole either way (the swap is one rename); only the copy is left over.
    DirFiles.deleteRecursively(dir.resolve(DEFRAG_DIR));
    long fileBytes = DirFiles.sizeOrZero(dir.resolve(LmdbStore.DATA_FILE));
    LmdbStore store = LmdbStore.open(dir, MapSizes.initial(options, fileBytes));
    LOG.debug("btree backend opened dir={} mapSize={}", dir, store.mapSize());
    return new BtreeBackend(dir, options, store);
  }

  @Override
  public ReadView readView() {
    checkOpen();
    // Begun and registered under the gate's lock, so close() and resizes never miss a view.
    return gate.enter(() -> {
      LmdbStore s = store;
      BtreeReadView view = new BtreeReadView(this, s, s.beginRead());
      views.add(view);
      return view;
    });
  }

  /** Called once by each view as it closes. */
  void viewClosed(BtreeReadView view) {
    views.remove(view);
    gate.exit();
  }

  @Override
  public WriteBatch newBatch() {
    checkOpen();
    return new MutationBatch(this);
  }

  @Override
  public void commit(WriteBatch batch) {
    writeLock.lock();
    try {
      checkOpen();
      List<Mutation> mutations = MutationBatch.claim(batch, this);
      if (mutations.isEmpty()) {
        return;
      }
      LmdbStore s = store;
      growAheadLocked(s, batch.byteSize());
      while (true) {
        try {
          BatchWriter.commit(s, mutations);
          return;
        } catch (Env.MapFullException e) {
          growAfterMapFullLocked(s, batch.byteSize(), e);
        } catch (LmdbException e) {
          throw s.failure("cannot commit a batch of " + mutations.size() + " mutations to", e);
        }
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** Grows the map before a commit that may not fit, only if that needs no waiting. */
  private void growAheadLocked(LmdbStore s, long batchBytes) {
    EnvInfo info = s.info(); // one native call for both numbers; this runs on every commit
    long map = info.mapSize;
    long needed = neededBytes(s, info, batchBytes);
    if (needed <= map || map >= options.maxSizeBytes() || !gate.tryExclusive()) {
      return;
    }
    try {
      resizeLocked(s, map, MapSizes.grown(map, needed, options.maxSizeBytes()), "ahead of a commit");
    } finally {
      gate.releaseExclusive();
    }
  }

  private void growAfterMapFullLocked(LmdbStore s, long batchBytes, Env.MapFullException e) {
    EnvInfo info = s.info();
    long map = info.mapSize;
    if (map >= options.maxSizeBytes()) {
      throw new BackendFailureException("database space exceeded: btree map " + s.dataFile() + " is full at "
          + map + " bytes, the configured maximum (maxSizeBytes)", e);
    }
    long target = MapSizes.grown(map, neededBytes(s, info, batchBytes), options.maxSizeBytes());
    gate.awaitExclusive(() -> LOG.warn("btree commit waits to grow the map dir={} openReadViews={} "
        + "openedByThisThread={} (a view open on the committing thread would wait forever)",
        dir, gate.openCount(), views.stream().filter(v -> v.openerThreadId() == Thread.currentThread().getId()).count()));
    try {
      resizeLocked(s, map, target, "after MDB_MAP_FULL");
    } finally {
      gate.releaseExclusive();
    }
  }

  /**
   * A pessimistic estimate of the file's high-water mark after the batch (free pages not counted):
   * values and keys may land twice (copy-on-write of partly filled pages), plus slack.
   */
  private static long neededBytes(LmdbStore s, EnvInfo info, long batchBytes) {
    long highWater = (info.lastPageNumber + 1) * s.pageSize();
    return highWater + 2 * batchBytes + GROW_AHEAD_SLACK_PAGES * s.pageSize();
  }

  private void resizeLocked(LmdbStore s, long from, long to, String why) {
    s.setMapSize(to);
    LOG.info("btree map grown dir={} from={} to={} max={} reason=\"{}\"",
        dir, from, to, options.maxSizeBytes(), why);
  }

  @Override
  public void sync() {
    writeLock.lock();
    try {
      checkOpen();
      store.sync();
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Compacting copy, then swap: {@code env.copy(MDB_CP_COMPACT)} into {@value #DEFRAG_DIR} (readers go
   * on meanwhile; the writer is this thread), then — stop-the-world, like bbolt's defrag — wait for
   * every read view to close, close the environment, rename the copy over {@code data.mdb}, reopen.
   * The rename is atomic, so a crash leaves the old or the new file, both whole.
   */
  @Override
  public void defragment() {
    writeLock.lock();
    try {
      checkOpen();
      LmdbStore old = store;
      long before = DirFiles.sizeOrZero(old.dataFile());
      Path tmp = dir.resolve(DEFRAG_DIR);
      DirFiles.deleteRecursively(tmp);
      DirFiles.prepareEmptyDir(tmp);
      old.copyCompact(tmp);
      DirFiles.fsync(tmp.resolve(LmdbStore.DATA_FILE));
      long mapSize = old.mapSize();
      gate.awaitExclusive(() -> LOG.warn("btree defragment waits for read views to close dir={} openReadViews={}",
          dir, gate.openCount()));
      try {
        swapLocked(old, tmp, mapSize);
      } finally {
        gate.releaseExclusive();
      }
      DirFiles.deleteRecursively(tmp);
      LOG.info("btree defragmented dir={} bytesBefore={} bytesAfter={}",
          dir, before, DirFiles.sizeOrZero(store.dataFile()));
    } finally {
      writeLock.unlock();
    }
  }

  /** Closes {@code old}, moves the copy in place and reopens; on failure the backend is closed. */
  private void swapLocked(LmdbStore old, Path tmp, long mapSize) {
    boolean reopened = false;
    try {
      old.close();
      DirFiles.replace(tmp.resolve(LmdbStore.DATA_FILE), old.dataFile());
    } finally {
      // Reopen whichever file is in place, also when the swap failed, so no handle of the closed
      // environment is ever used again; if even that fails the backend is unusable.
      try {
        store = LmdbStore.open(dir, Math.max(mapSize, MapSizes.initial(options, 0)));
        reopened = true;
      } finally {
        if (!reopened) {
          closed = true;
          gate.shut();
        }
      }
    }
  }

  @Override
  public void exportTo(Path target) {
    Objects.requireNonNull(target, "target");
    checkOpen();
    DirFiles.prepareEmptyDir(target);
    // LMDB's copy runs its own read transaction: count it, so no resize or swap remaps under it.
    LmdbStore s = gate.enter(() -> store);
    try {
      s.copyCompact(target);
      DirFiles.fsync(target.resolve(LmdbStore.DATA_FILE));
      DirFiles.fsync(target);
    } finally {
      gate.exit();
    }
  }

  /**
   * {@code bytesOnDisk} is the size of {@code data.mdb}. {@code bytesInUse} counts the pages the
   * current state reaches — the two meta pages plus every branch, leaf and overflow page of the main
   * and the bucket databases — times the page size: free pages (reusable, or pinned by old readers)
   * are what is left, as with etcd's dbSizeInUse. Key counts are exact ({@code mdb_stat} entries).
   */
  @Override
  public BackendStats stats() {
    checkOpen();
    LmdbStore s = gate.enter(() -> store);
    try (Txn<ByteBuffer> txn = s.beginRead()) {
      Map<Bucket, Long> keys = new EnumMap<>(Bucket.class);
      long pages = 2 + pagesOf(s.env().stat());
      for (Bucket bucket : Bucket.values()) {
        Stat stat = s.dbi(bucket).stat(txn);
        keys.put(bucket, stat.entries);
        pages += pagesOf(stat);
      }
      long onDisk = DirFiles.sizeOrZero(s.dataFile());
      return new BackendStats(BtreeBackendFactory.NAME, onDisk, Math.min(onDisk, pages * s.pageSize()), keys);
    } catch (LmdbException e) {
      throw s.failure("cannot read statistics of", e);
    } finally {
      gate.exit();
    }
  }

  private static long pagesOf(Stat stat) {
    return stat.branchPages + stat.leafPages + stat.overflowPages;
  }

  /**
   * Closes views a caller left open (their later use throws), waits for a running export or stats
   * call, then syncs and closes the environment.
   */
  @Override
  public void close() {
    writeLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      gate.shut();
      for (BtreeReadView view : List.copyOf(views)) {
        view.close();
      }
      gate.awaitExclusive(() -> LOG.warn("btree close waits for an export or stats call dir={}", dir));
      store.close();
    } finally {
      writeLock.unlock();
    }
  }

  /** The current LMDB map size (diagnostics and engine tests). */
  long mapSize() {
    checkOpen();
    LmdbStore s = gate.enter(() -> store);
    try {
      return s.mapSize();
    } finally {
      gate.exit();
    }
  }

  /** True while a commit or defragment waits for read views to close, or remaps (engine tests). */
  boolean remapPending() {
    return gate.exclusivePending();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("btree backend " + dir + " is closed");
    }
  }

  @Override
  public String toString() {
    return "btree backend " + dir;
  }
}
