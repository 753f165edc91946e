package dev.strata.backend.btree;

import dev.strata.backend.Backend;
import java.nio.ByteBuffer;

/**
 * Moving bytes between the SPI's {@code byte[]} and the direct {@link ByteBuffer}s lmdbjava requires.
 *
 * <p>Buffers LMDB hands back point into the memory map and stay valid only until the next update or
 * the end of the transaction ({@code lmdb.h}, {@code mdb_get}); every value that leaves this package is
 * therefore copied with {@link #copy}.
 */
final class Buffers {

  /**
   * One key buffer per thread: LMDB reads a key only during the call it is passed to, so a buffer can
   * be refilled for the next call. Per thread (not per view) because views are cheap and allocating
   * direct memory is not; views cross threads, but a call runs on one.
   */
  private static final ThreadLocal<ByteBuffer> KEY =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(Backend.MAX_KEY_BYTES));

  private Buffers() {}

  /**
   * Returns this thread's key buffer holding {@code key} at position 0 (lmdbjava's proxy passes the
   * buffer's base address, ignoring its position). Valid until this thread's next call.
   */
  static ByteBuffer key(byte[] key) {
    ByteBuffer buf = KEY.get();
    buf.clear();
    buf.put(key);
    buf.flip();
    return buf;
  }

  /** Copies the remaining bytes of {@code buf} into a new array owned by the caller. */
  static byte[] copy(ByteBuffer buf) {
    byte[] out = new byte[buf.remaining()];
    buf.get(buf.position(), out);
    return out;
  }

  /** Unsigned lexicographic order of the remaining bytes, LMDB's default (memcmp) key order. */
  static int compare(ByteBuffer a, ByteBuffer b) {
    int i = a.mismatch(b);
    if (i < 0) {
      return 0;
    }
    if (i < a.remaining() && i < b.remaining()) {
      return Byte.compareUnsigned(a.get(a.position() + i), b.get(b.position() + i));
    }
    return a.remaining() - b.remaining();
  }
}
