package dev.strata.server.mvcc;

/**
 * An MVCC revision: {@code main} is the store revision of a change (one per changing request or txn),
 * {@code sub} orders the changes inside it. Encoded exactly like etcd's {@code revision.go}: the KEY
 * bucket is keyed by 8-byte big-endian main, {@code '_'}, 8-byte big-endian sub, and an 18th byte
 * {@code 't'} marks a tombstone. Unsigned byte order of the encoding equals revision order because
 * revisions are never negative.
 */
public record Revision(long main, long sub) implements Comparable<Revision> {

  /** Length of an encoded revision without the tombstone mark. */
  public static final int BYTES = 17;
  /** Length of a tombstone's KEY bucket key. */
  public static final int TOMBSTONE_BYTES = 18;

  static final byte SEPARATOR = '_';
  static final byte TOMBSTONE_MARK = 't';

  public static final Revision ZERO = new Revision(0, 0);

  /** True if this revision is strictly newer than {@code other}. */
  public boolean greaterThan(Revision other) {
    return compareTo(other) > 0;
  }

  @Override
  public int compareTo(Revision o) {
    int c = Long.compare(main, o.main);
    return c != 0 ? c : Long.compare(sub, o.sub);
  }

  /** The 17-byte KEY bucket key of a put at this revision; a new array owned by the caller. */
  public byte[] toBytes() {
    return encode(false);
  }

  /** The KEY bucket key of this revision, with the tombstone mark if {@code tombstone}. */
  public byte[] toKey(boolean tombstone) {
    return encode(tombstone);
  }

  private byte[] encode(boolean tombstone) {
    byte[] b = new byte[tombstone ? TOMBSTONE_BYTES : BYTES];
    putLong(b, 0, main);
    b[8] = SEPARATOR;
    putLong(b, 9, sub);
    if (tombstone) {
      b[17] = TOMBSTONE_MARK;
    }
    return b;
  }

  /**
   * Decodes the first 17 bytes of a KEY bucket key (a trailing tombstone mark is ignored, as etcd's
   * {@code BytesToRev} does).
   *
   * @throws IllegalArgumentException if {@code key} is not a revision key
   */
  public static Revision fromBytes(byte[] key) {
    if (key.length != BYTES && !(key.length == TOMBSTONE_BYTES && key[17] == TOMBSTONE_MARK)) {
      throw new IllegalArgumentException("not a revision key: " + key.length + " bytes");
    }
    return new Revision(getLong(key, 0), getLong(key, 9));
  }

  /** True if {@code key} is a KEY bucket key marked as a tombstone (etcd's {@code isTombstone}). */
  public static boolean isTombstone(byte[] key) {
    return key.length == TOMBSTONE_BYTES && key[17] == TOMBSTONE_MARK;
  }

  /** The 8-byte big-endian prefix {@code main}: every key with a smaller main sorts before it. */
  static byte[] mainPrefix(long main) {
    byte[] b = new byte[8];
    putLong(b, 0, main);
    return b;
  }

  static void putLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  @Override
  public String toString() {
    return main + "_" + sub;
  }
}
