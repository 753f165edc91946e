package dev.strata.server.mvcc;

import java.nio.charset.StandardCharsets;

/**
 * The META bucket keys the MVCC layer owns and their encodings, identical to etcd's
 * ({@code schema/bucket.go}, {@code cindex.go}, {@code kvstore.go}).
 */
final class Meta {

  private Meta() {}

  /** Applied Raft index: 8-byte big-endian. */
  static final byte[] CONSISTENT_INDEX = ascii("consistent_index");
  /** Term of the applied Raft entry: 8-byte big-endian. */
  static final byte[] TERM = ascii("term");
  /** Compaction revision requested: a 17-byte revision key with sub 0. */
  static final byte[] SCHEDULED_COMPACT_REV = ascii("scheduledCompactRev");
  /** Compaction revision whose physical deletion finished: a 17-byte revision key with sub 0. */
  static final byte[] FINISHED_COMPACT_REV = ascii("finishedCompactRev");

  static byte[] uint64(long v) {
    byte[] b = new byte[8];
    Revision.putLong(b, 0, v);
    return b;
  }

  /** Decodes an 8-byte big-endian value; absent (null) reads as 0, as in etcd. */
  static long readUint64(byte[] b) {
    if (b == null) {
      return 0;
    }
    if (b.length != 8) {
      throw new IllegalStateException("META value has " + b.length + " bytes, expected 8");
    }
    return Revision.getLong(b, 0);
  }

  static byte[] compactRev(long main) {
    return new Revision(main, 0).toBytes();
  }

  /** Decodes a compaction revision; absent reads as {@code absent}. */
  static long readCompactRev(byte[] b, long absent) {
    return b == null ? absent : Revision.fromBytes(b).main();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
