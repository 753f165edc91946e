package dev.strata.backend;

/**
 * A consistent, point-in-time view over all buckets, unaffected by commits made after it was opened.
 * Holds engine resources (an LMDB read transaction, a RocksDB snapshot): close it promptly.
 */
public interface ReadView extends AutoCloseable {

  /**
   * Returns a copy of the value stored under {@code key}, or {@code null} if there is none.
   * {@code key} may be reused by the caller after return.
   */
  byte[] get(Bucket bucket, byte[] key);

  /**
   * Iterates {@code bucket} in unsigned byte order over {@code [fromInclusive, toExclusive)}.
   * A {@code null} bound means the start or the end of the bucket. The cursor must be closed before
   * this view; the bounds may be reused by the caller after return.
   */
  Cursor cursor(Bucket bucket, byte[] fromInclusive, byte[] toExclusive);

  /** Releases the view and every cursor still open on it. Idempotent. */
  @Override
  void close();
}
