package dev.strata.backend.btree;

import dev.strata.backend.Backend;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;

/**
 * Positioning LMDB cursors on {@code [from, to)} ranges in unsigned byte order ({@link
 * dev.strata.backend.Keys#inRange}), for any bound a caller may pass: range bounds are not keys, so
 * they may be empty or longer than LMDB's key limit.
 */
final class KeyRanges {

  private KeyRanges() {}

  /**
   * Moves {@code c} to the first key {@code >= from} ({@code null} or empty: the first key) and
   * returns whether there is one.
   */
  static boolean seek(Cursor<ByteBuffer> c, byte[] from) {
    if (from == null || from.length == 0) {
      return c.first();
    }
    if (from.length <= Backend.MAX_KEY_BYTES) {
      return c.get(Buffers.key(from), GetOp.MDB_SET_RANGE);
    }
    // LMDB rejects search keys over its limit. Every stored key is within it, so seeking to the
    // bound's longest allowed prefix and stepping past the at most one key equal to that prefix
    // reaches the same position.
    boolean found = c.get(Buffers.key(Arrays.copyOf(from, Backend.MAX_KEY_BYTES)), GetOp.MDB_SET_RANGE);
    ByteBuffer lower = ByteBuffer.wrap(from);
    while (found && Buffers.compare(c.key(), lower) < 0) {
      found = c.next();
    }
    return found;
  }

  /** True if the cursor's current key lies before {@code upper} ({@code null}: no upper bound). */
  static boolean beforeEnd(Cursor<ByteBuffer> c, ByteBuffer upper) {
    return upper == null || Buffers.compare(c.key(), upper) < 0;
  }

  /** The exclusive upper bound as a buffer for {@link #beforeEnd}, or {@code null}. */
  static ByteBuffer upper(byte[] to) {
    return to == null ? null : ByteBuffer.wrap(to);
  }
}
