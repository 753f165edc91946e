package dev.strata.backend.lsm;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFailureException;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.BackendStats;
import dev.strata.backend.DataDirException;
import dev.strata.backend.Mutation;
import dev.strata.backend.MutationBatch;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.Checkpoint;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompactRangeOptions.BottommostLevelCompaction;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * The lsm engine: one RocksDB database, WAL disabled, every bucket a key prefix in the default
 * column family (see {@link BucketKeys} and the package documentation for why).
 *
 * <p><b>Closing safely.</b> Every method that touches a native handle — here, in {@link LsmReadView}
 * and in {@link LsmCursor} — runs between {@link #enter()} and {@link #exit()}, which hold the
 * shared side of {@link #lifecycle}; {@link #close()} takes the exclusive side, so it never frees a
 * handle another thread is using, and every later call sees the closed flag and throws
 * {@link IllegalStateException} instead of dereferencing freed memory (a JVM crash in RocksJava).
 * The shared side excludes nothing but close: commits, flushes, compaction and reads run in parallel.
 */
final class LsmBackend implements Backend {

  private final Path dir;
  private final NativeConfig config;
  private final RocksDB db;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** Read views not yet closed, so that close() can release their snapshots before the database. */
  private final Set<LsmReadView> openViews = ConcurrentHashMap.newKeySet();
  /** Guarded by {@link #lifecycle}: written under the exclusive side, read under either side. */
  private boolean closed;

  private LsmBackend(Path dir, NativeConfig config, RocksDB db) {
    this.dir = dir;
    this.config = config;
    this.db = db;
  }

  /** See {@link LsmBackendFactory#open}. */
  static LsmBackend open(Path dir, BackendOptions options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    prepareDir(dir);
    RocksDB.loadLibrary();
    var config = new NativeConfig(options);
    try {
      return new LsmBackend(dir, config, RocksDB.open(config.options, dir.toString()));
    } catch (RocksDBException e) {
      config.close();
      throw new BackendFailureException("cannot open lsm backend in " + dir + ": " + reason(e), e);
    }
  }

  private static void prepareDir(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new DataDirException("lsm backend dir " + dir + " exists but is not a directory");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new DataDirException("cannot create lsm backend dir " + dir + ": " + e, e);
    }
    if (!Files.isWritable(dir)) {
      throw new DataDirException("lsm backend dir " + dir + " is not writable");
    }
  }

  @Override
  public ReadView readView() {
    enter();
    try {
      var view = new LsmReadView(this, db);
      openViews.add(view);
      return view;
    } finally {
      exit();
    }
  }

  @Override
  public WriteBatch newBatch() {
    enter();
    try {
      return new MutationBatch(this);
    } finally {
      exit();
    }
  }

  /** Translates the whole batch into one native WriteBatch: one memtable insert, so all or nothing. */
  @Override
  public void commit(WriteBatch batch) {
    enter();
    try {
      List<Mutation> mutations = MutationBatch.claim(batch, this);
      if (mutations.isEmpty()) {
        return;
      }
      // Reserve roughly the encoded size (payload plus a prefix byte and varint headers per record)
      // so large batches (migration, snapshot install) are not regrown repeatedly.
      long reserve = Math.min(Integer.MAX_VALUE - 8, batch.byteSize() + 16L * mutations.size());
      try (var nativeBatch = new org.rocksdb.WriteBatch((int) reserve)) {
        for (Mutation m : mutations) {
          add(nativeBatch, m);
        }
        db.write(config.writeOptions, nativeBatch);
      }
    } catch (RocksDBException e) {
      throw failure("commit", e);
    } finally {
      exit();
    }
  }

  private static void add(org.rocksdb.WriteBatch nativeBatch, Mutation m) throws RocksDBException {
    if (m instanceof Mutation.Put put) {
      nativeBatch.put(BucketKeys.encode(put.bucket(), put.key()), put.value());
    } else if (m instanceof Mutation.Delete delete) {
      nativeBatch.delete(BucketKeys.encode(delete.bucket(), delete.key()));
    } else if (m instanceof Mutation.DeleteRange range) {
      byte[] lower = BucketKeys.lower(range.bucket(), range.from());
      byte[] upper = BucketKeys.upper(range.bucket(), range.to());
      if (!BucketKeys.isEmpty(lower, upper)) {
        nativeBatch.deleteRange(lower, upper);
      }
    } else {
      throw new IllegalStateException("unknown mutation " + m);
    }
  }

  /** Flushes the memtable and waits: its SST files and the MANIFEST are synced before this returns. */
  @Override
  public void sync() {
    enter();
    try {
      db.flush(config.flushOptions);
    } catch (RocksDBException e) {
      throw failure("sync (memtable flush)", e);
    } finally {
      exit();
    }
  }

  /**
   * Compacts the whole key space, rewriting the bottom level once so tombstones and shadowed values
   * are dropped. Non-exclusive, so background flushes and compactions keep running and writers are
   * not stalled by a growing L0 while it works; close() waits for it to finish.
   */
  @Override
  public void defragment() {
    enter();
    try (var compact = new CompactRangeOptions()
        .setExclusiveManualCompaction(false)
        .setBottommostLevelCompaction(BottommostLevelCompaction.kForceOptimized)) {
      db.compactRange(db.getDefaultColumnFamily(), null, null, compact);
    } catch (RocksDBException e) {
      throw failure("defragment (compact range)", e);
    } finally {
      exit();
    }
  }

  /**
   * A RocksDB checkpoint: SST files hard-linked (same file system) or copied, MANIFEST copied. With
   * the WAL disabled only flushed data is in SST files, so flush first; with one column family the
   * flushed state is a batch boundary, so the copy is consistent.
   */
  @Override
  public void exportTo(Path target) {
    Objects.requireNonNull(target, "target");
    enter();
    try {
      prepareExportTarget(target);
      db.flush(config.flushOptions);
      try (var checkpoint = Checkpoint.create(db)) {
        checkpoint.createCheckpoint(target.toString());
      }
    } catch (RocksDBException e) {
      throw failure("export to " + target, e);
    } finally {
      exit();
    }
  }

  /** RocksDB creates the checkpoint dir itself and fails if it exists, so an empty one is removed. */
  private static void prepareExportTarget(Path target) {
    try {
      if (Files.exists(target)) {
        if (!Files.isDirectory(target)) {
          throw new IllegalArgumentException("export target " + target + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(target)) {
          if (entries.findAny().isPresent()) {
            throw new IllegalArgumentException("export target " + target + " is not empty");
          }
        }
        Files.delete(target);
      }
      Path parent = target.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new DataDirException("cannot prepare export target " + target + ": " + e, e);
    }
  }

  @Override
  public BackendStats stats() {
    enter();
    try {
      return LsmStats.compute(db);
    } catch (RocksDBException e) {
      throw failure("stats", e);
    } finally {
      exit();
    }
  }

  /**
   * Flushes (so committed batches survive, as the contract requires), then releases native objects
   * in reverse order of opening: open cursors and snapshots, the database, its options.
   */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      RocksDBException error = null;
      try {
        db.flush(config.flushOptions);
      } catch (RocksDBException e) {
        error = e;
      }
      for (LsmReadView view : openViews) {
        view.closeLocked();
      }
      openViews.clear();
      try {
        db.closeE();
      } catch (RocksDBException e) {
        error = error == null ? e : error;
      }
      config.close();
      if (error != null) {
        throw failure("close", error);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /**
   * Starts a native call: holds the shared side of the lifecycle lock until {@link #exit()}.
   *
   * @throws IllegalStateException if the backend is closed
   */
  void enter() {
    lifecycle.readLock().lock();
    if (closed) {
      lifecycle.readLock().unlock();
      throw new IllegalStateException(this + " is closed");
    }
  }

  /** Like {@link #enter()} but returns {@code false} (holding nothing) instead of throwing. */
  boolean enterIfOpen() {
    lifecycle.readLock().lock();
    if (closed) {
      lifecycle.readLock().unlock();
      return false;
    }
    return true;
  }

  void exit() {
    lifecycle.readLock().unlock();
  }

  /** Called by a view closing itself, while holding the shared side. */
  void forget(LsmReadView view) {
    openViews.remove(view);
  }

  BackendFailureException failure(String operation, RocksDBException e) {
    return new BackendFailureException(
        "lsm backend in " + dir + ": " + operation + " failed: " + reason(e), e);
  }

  /** A one-line reason: RocksDB's status code (e.g. Corruption, IOError) and message. */
  static String reason(RocksDBException e) {
    String message = String.valueOf(e.getMessage()).replace('\n', ' ');
    var status = e.getStatus();
    if (status == null || status.getCode() == null) {
      return message;
    }
    String code = status.getCode().name();
    return message.startsWith(code) ? message : code + ": " + message;
  }

  @Override
  public String toString() {
    return "lsm backend in " + dir;
  }
}
