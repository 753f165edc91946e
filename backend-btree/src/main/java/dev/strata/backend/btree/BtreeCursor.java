package dev.strata.backend.btree;

import dev.strata.backend.Cursor;
import java.nio.ByteBuffer;
import org.lmdbjava.LmdbException;

/**
 * A forward cursor over {@code [from, to)} of one bucket in a {@link BtreeReadView}. LMDB orders keys
 * with memcmp (unsigned), the SPI's order; the upper bound is checked here with the same order
 * rather than through lmdbjava's {@code KeyRange}, whose Java comparator was signed (lmdbjava#228).
 *
 * <p>All methods run under the view's monitor (see {@link BtreeReadView}). The first {@link #next()}
 * positions the cursor, so opening one costs no seek.
 */
final class BtreeCursor implements Cursor {

  private final BtreeReadView view;
  private final org.lmdbjava.Cursor<ByteBuffer> cursor;
  private final byte[] from;
  private final ByteBuffer upper;
  private boolean started;
  private boolean positioned;
  private boolean closed;

  /** {@code from} and {@code to} are private copies, owned by this cursor. */
  BtreeCursor(BtreeReadView view, org.lmdbjava.Cursor<ByteBuffer> cursor, byte[] from, byte[] to) {
    this.view = view;
    this.cursor = cursor;
    this.from = from;
    this.upper = KeyRanges.upper(to);
  }

  @Override
  public boolean next() {
    synchronized (view) {
      checkOpen();
      if (started && !positioned) {
        return false; // exhausted stays exhausted; LMDB would wrap around from an unset cursor
      }
      try {
        boolean found = started ? cursor.next() : KeyRanges.seek(cursor, from);
        started = true;
        positioned = found && KeyRanges.beforeEnd(cursor, upper);
        return positioned;
      } catch (LmdbException e) {
        positioned = false;
        throw view.failure("cannot iterate", e);
      }
    }
  }

  /** {@inheritDoc} A fresh copy on every call: the mapped bytes must not escape the view. */
  @Override
  public byte[] key() {
    synchronized (view) {
      checkPositioned();
      return Buffers.copy(cursor.key());
    }
  }

  /** {@inheritDoc} A fresh copy on every call, made only when asked (key-only scans copy no values). */
  @Override
  public byte[] value() {
    synchronized (view) {
      checkPositioned();
      return Buffers.copy(cursor.val());
    }
  }

  @Override
  public void close() {
    synchronized (view) {
      if (closed) {
        return;
      }
      release();
      view.forget(this);
    }
  }

  /** Closes the native cursor; called under the view's monitor by {@link #close()} or the view. */
  void release() {
    if (!closed) {
      closed = true;
      positioned = false;
      cursor.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("cursor is closed");
    }
  }

  private void checkPositioned() {
    checkOpen();
    if (!positioned) {
      throw new IllegalStateException(
          started ? "cursor is exhausted: next() returned false" : "call next() before key() or value()");
    }
  }
}
