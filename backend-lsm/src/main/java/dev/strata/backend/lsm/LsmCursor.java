package dev.strata.backend.lsm;

import dev.strata.backend.Cursor;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * A RocksDB iterator over one bucket of a {@link LsmReadView}, bounded above by
 * {@code iterate_upper_bound} (the requested end, or the next bucket's prefix) so it never reads
 * into the next bucket and RocksDB can stop at the bound instead of skipping over other data.
 *
 * <p>Native lifetimes: the upper-bound {@link Slice} and the {@link ReadOptions} must outlive the
 * iterator or RocksJava can segfault (facebook/rocksdb#9378), so all three live exactly as long as
 * this cursor and are closed in reverse order of creation.
 */
final class LsmCursor implements Cursor {

  private enum Position { BEFORE_FIRST, ON_ENTRY, EXHAUSTED }

  private final LsmReadView view;
  private final byte[] seekKey;
  private final Slice upperBound;
  private final ReadOptions readOptions;
  private final RocksIterator iterator;
  private Position position = Position.BEFORE_FIRST;
  private boolean closed;

  /** Called under the backend's shared lock; {@code lower} and {@code upper} are stored keys. */
  LsmCursor(LsmReadView view, RocksDB db, Snapshot snapshot, byte[] lower, byte[] upper) {
    this.view = view;
    this.seekKey = lower;
    this.upperBound = new Slice(upper);
    this.readOptions = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upperBound);
    this.iterator = db.newIterator(readOptions);
  }

  @Override
  public boolean next() {
    enter();
    try {
      switch (position) {
        case BEFORE_FIRST -> iterator.seek(seekKey);
        case ON_ENTRY -> iterator.next();
        case EXHAUSTED -> {
          return false;
        }
      }
      if (iterator.isValid()) {
        position = Position.ON_ENTRY;
        return true;
      }
      position = Position.EXHAUSTED;
      iterator.status(); // an invalid iterator is either at the end or failed: tell them apart
      return false;
    } catch (RocksDBException e) {
      throw view.backend().failure("cursor", e);
    } finally {
      view.backend().exit();
    }
  }

  /** A copy owned by the caller, without the bucket prefix. */
  @Override
  public byte[] key() {
    enterOnEntry();
    try {
      return BucketKeys.strip(iterator.key());
    } finally {
      view.backend().exit();
    }
  }

  /** A copy owned by the caller (RocksJava allocates a fresh array per call). */
  @Override
  public byte[] value() {
    enterOnEntry();
    try {
      return iterator.value();
    } finally {
      view.backend().exit();
    }
  }

  @Override
  public void close() {
    if (!view.backend().enterIfOpen()) {
      return; // backend close already released this cursor
    }
    try {
      if (!closed) {
        closeLocked();
        view.forget(this);
      }
    } finally {
      view.backend().exit();
    }
  }

  /** Releases native resources; the caller holds either side of the backend's lifecycle lock. */
  void closeLocked() {
    if (closed) {
      return;
    }
    closed = true;
    iterator.close();
    readOptions.close();
    upperBound.close();
  }

  private void enter() {
    view.backend().enter();
    if (closed) {
      view.backend().exit();
      throw new IllegalStateException("cursor is closed");
    }
  }

  private void enterOnEntry() {
    enter();
    if (position != Position.ON_ENTRY) {
      view.backend().exit();
      throw new IllegalStateException(position == Position.BEFORE_FIRST
          ? "cursor has no current entry: call next() first"
          : "cursor is exhausted: next() returned false");
    }
  }
}
