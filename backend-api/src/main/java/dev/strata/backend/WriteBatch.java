package dev.strata.backend;

/**
 * Mutations to commit atomically with {@link Backend#commit}, applied in the order they were added.
 * Arguments are copied: the caller may reuse its arrays as soon as a call returns. A batch is
 * single-threaded and single-use: adding to it after it was committed throws
 * {@link IllegalStateException}.
 */
public interface WriteBatch {

  /** Sets {@code key} to {@code value} in {@code bucket}. */
  void put(Bucket bucket, byte[] key, byte[] value);

  /** Removes {@code key} from {@code bucket}; removing an absent key is not an error. */
  void delete(Bucket bucket, byte[] key);

  /**
   * Removes every key in {@code [fromInclusive, toExclusive)} of {@code bucket}; {@code null} bounds
   * mean the start or end of the bucket.
   */
  void deleteRange(Bucket bucket, byte[] fromInclusive, byte[] toExclusive);

  /** Number of mutations added so far. */
  int size();

  /** Approximate bytes of keys and values added so far, for callers that bound batch sizes. */
  long byteSize();
}
