package dev.strata.backend.lsm;

import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.Keys;
import dev.strata.backend.ReadView;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;

/**
 * A RocksDB snapshot plus the ReadOptions that read at it. Gets go through the view's own options;
 * each cursor gets its own options (same snapshot, its own upper bound), because
 * {@code iterate_upper_bound} is per ReadOptions and must outlive the iterator.
 *
 * <p>Threads: used by one thread at a time (the SPI's rule); every native call runs inside the
 * backend's {@link LsmBackend#enter() enter/exit} so a concurrent backend close cannot free the
 * snapshot under it.
 */
final class LsmReadView implements ReadView {

  private final LsmBackend backend;
  private final RocksDB db;
  private final Snapshot snapshot;
  private final ReadOptions readOptions;
  /** Concurrent only so that backend close, on another thread, sees the cursors opened here. */
  private final Set<LsmCursor> openCursors = ConcurrentHashMap.newKeySet();
  private boolean closed;

  /** Called under the backend's shared lock. */
  LsmReadView(LsmBackend backend, RocksDB db) {
    this.backend = backend;
    this.db = db;
    this.snapshot = db.getSnapshot();
    this.readOptions = new ReadOptions().setSnapshot(snapshot);
  }

  /** Returns a copy owned by the caller (RocksJava allocates a fresh array per get). */
  @Override
  public byte[] get(Bucket bucket, byte[] key) {
    Objects.requireNonNull(bucket, "bucket must not be null");
    Keys.checkKey(key);
    enter();
    try {
      return db.get(readOptions, BucketKeys.encode(bucket, key));
    } catch (RocksDBException e) {
      throw backend.failure("get", e);
    } finally {
      backend.exit();
    }
  }

  @Override
  public Cursor cursor(Bucket bucket, byte[] fromInclusive, byte[] toExclusive) {
    Objects.requireNonNull(bucket, "bucket must not be null");
    enter();
    try {
      // Encoding copies the bounds, so the caller may reuse its arrays as soon as we return.
      var cursor = new LsmCursor(this, db, snapshot,
          BucketKeys.lower(bucket, fromInclusive), BucketKeys.upper(bucket, toExclusive));
      openCursors.add(cursor);
      return cursor;
    } finally {
      backend.exit();
    }
  }

  /** Closes the cursors still open, then releases the snapshot. Idempotent. */
  @Override
  public void close() {
    if (!backend.enterIfOpen()) {
      return; // backend close already released this view
    }
    try {
      if (!closed) {
        closeLocked();
        backend.forget(this);
      }
    } finally {
      backend.exit();
    }
  }

  /** Releases native resources; the caller holds either side of the backend's lifecycle lock. */
  void closeLocked() {
    if (closed) {
      return;
    }
    closed = true;
    for (LsmCursor cursor : openCursors) {
      cursor.closeLocked();
    }
    openCursors.clear();
    readOptions.close();
    db.releaseSnapshot(snapshot);
    snapshot.close();
  }

  /** Called by a cursor closing itself, under the backend's shared lock. */
  void forget(LsmCursor cursor) {
    openCursors.remove(cursor);
  }

  LsmBackend backend() {
    return backend;
  }

  /**
   * Enters the backend, then checks this view; on return the caller must {@code backend().exit()}.
   *
   * @throws IllegalStateException if the backend or this view is closed
   */
  void enter() {
    backend.enter();
    if (closed) {
      backend.exit();
      throw new IllegalStateException("read view is closed");
    }
  }
}
