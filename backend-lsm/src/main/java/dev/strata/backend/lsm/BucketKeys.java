package dev.strata.backend.lsm;

import dev.strata.backend.Bucket;
import dev.strata.backend.Keys;
import java.util.Arrays;

/**
 * The on-disk key layout: one byte of {@link Bucket#id()} followed by the bucket's own key. All
 * buckets share RocksDB's default column family, so a bucket is the key range
 * {@code [id, id + 1)} and unsigned order inside a bucket equals unsigned order of the stored keys
 * (RocksDB's default bytewise comparator compares unsigned).
 */
final class BucketKeys {

  static {
    // A bucket's end is the next prefix byte; id 255 would have none. Bucket ids are append-only and
    // far from 255, so fail loudly at load time rather than carry a null end through every caller.
    for (Bucket b : Bucket.values()) {
      if (b.id() >= 0xFF) {
        throw new IllegalStateException("lsm key layout needs bucket ids < 255, got " + b);
      }
    }
  }

  private BucketKeys() {}

  /** A fresh array: {@code bucket}'s prefix byte then {@code key}. */
  static byte[] encode(Bucket bucket, byte[] key) {
    byte[] out = new byte[key.length + 1];
    out[0] = (byte) bucket.id();
    System.arraycopy(key, 0, out, 1, key.length);
    return out;
  }

  /** The smallest stored key of {@code bucket}: its bare prefix byte. */
  static byte[] start(Bucket bucket) {
    return new byte[] {(byte) bucket.id()};
  }

  /** The exclusive end of {@code bucket}: the next prefix byte. */
  static byte[] end(Bucket bucket) {
    return new byte[] {(byte) (bucket.id() + 1)};
  }

  /** Stored lower bound for a bucket-relative {@code fromInclusive}; null means the bucket's start. */
  static byte[] lower(Bucket bucket, byte[] fromInclusive) {
    return fromInclusive == null ? start(bucket) : encode(bucket, fromInclusive);
  }

  /** Stored upper bound for a bucket-relative {@code toExclusive}; null means the bucket's end. */
  static byte[] upper(Bucket bucket, byte[] toExclusive) {
    return toExclusive == null ? end(bucket) : encode(bucket, toExclusive);
  }

  /**
   * True if the stored range {@code [lower, upper)} holds no key. RocksDB rejects reversed ranges
   * ({@code DeleteRange} returns InvalidArgument), so callers skip them instead of passing them down.
   */
  static boolean isEmpty(byte[] lower, byte[] upper) {
    return Keys.compare(lower, upper) >= 0;
  }

  /** The bucket-relative key of a stored key, as a fresh array. */
  static byte[] strip(byte[] stored) {
    return Arrays.copyOfRange(stored, 1, stored.length);
  }
}
