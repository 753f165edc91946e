package dev.strata.backend.btree;

import dev.strata.backend.BackendFailureException;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.Keys;
import dev.strata.backend.ReadView;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * A read view: one LMDB read transaction, so it sees the last commit before it began and nothing
 * after (LMDB MVCC). Views may move between threads ({@code MDB_NOTLS}), used by one at a time.
 *
 * <p>Every method, and every method of its cursors, runs under this view's monitor. Uncontended that
 * is cheap; it exists so that {@link BtreeBackend#close()} can force-close a view a caller forgot
 * while another thread is inside {@code next()}: the native transaction is never freed under a call.
 * A closed view never touches its native handles again (LMDB would crash the JVM).
 */
final class BtreeReadView implements ReadView {

  private final BtreeBackend owner;
  private final LmdbStore store;
  private final Txn<ByteBuffer> txn;
  private final long openerThreadId = Thread.currentThread().getId();
  private final Set<BtreeCursor> cursors = new LinkedHashSet<>();
  private boolean closed;

  BtreeReadView(BtreeBackend owner, LmdbStore store, Txn<ByteBuffer> txn) {
    this.owner = owner;
    this.store = store;
    this.txn = txn;
  }

  /** {@inheritDoc} The value is a copy owned by the caller. */
  @Override
  public synchronized byte[] get(Bucket bucket, byte[] key) {
    checkOpen();
    Objects.requireNonNull(bucket, "bucket must not be null");
    Keys.checkKey(key);
    try {
      ByteBuffer value = store.dbi(bucket).get(txn, Buffers.key(key));
      return value == null ? null : Buffers.copy(value);
    } catch (LmdbException e) {
      throw failure("cannot read bucket " + bucket.etcdName() + " of", e);
    }
  }

  @Override
  public synchronized Cursor cursor(Bucket bucket, byte[] fromInclusive, byte[] toExclusive) {
    checkOpen();
    Objects.requireNonNull(bucket, "bucket must not be null");
    // Bounds are copied: the caller may reuse its arrays once this returns.
    byte[] from = fromInclusive == null ? null : fromInclusive.clone();
    byte[] to = toExclusive == null ? null : toExclusive.clone();
    try {
      BtreeCursor cursor = new BtreeCursor(this, store.dbi(bucket).openCursor(txn), from, to);
      cursors.add(cursor);
      return cursor;
    } catch (LmdbException e) {
      throw failure("cannot open a cursor on bucket " + bucket.etcdName() + " of", e);
    }
  }

  /** Closes the view's cursors, then aborts its read transaction. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // Read-only cursors must be closed explicitly, before their transaction ends (lmdb.h).
      for (BtreeCursor cursor : new ArrayList<>(cursors)) {
        cursor.release();
      }
      cursors.clear();
      txn.close();
    } finally {
      // Always: the backend counts this transaction until told, and a resize waits for the count.
      owner.viewClosed(this);
    }
  }

  /** Id of the thread that opened this view (an id, so a dead thread is not kept reachable). */
  long openerThreadId() {
    return openerThreadId;
  }

  /** Called by a cursor, under this view's monitor, when the caller closed it. */
  void forget(BtreeCursor cursor) {
    cursors.remove(cursor);
  }

  /** Throws if the view (or its backend) is closed. Call under this view's monitor. */
  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("read view is closed");
    }
  }

  BackendFailureException failure(String action, RuntimeException e) {
    return store.failure(action, e);
  }
}
