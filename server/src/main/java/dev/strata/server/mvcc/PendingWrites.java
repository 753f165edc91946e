package dev.strata.server.mvcc;

import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.WriteBatch;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The backend batch being filled by the apply thread, plus a read buffer of the KEY bucket entries it
 * holds, so that reads see applied writes before the batch is committed (etcd's batchTx + txReadBuffer).
 *
 * <p>Thread rules: every method requires the {@link MvccStore} lock — mutations and {@link #commit}
 * the write lock, lookups at least the read lock. Because commit and buffer reset happen under the
 * write lock, a reader holding the read lock sees a buffer consistent with any read view it opens.
 */
final class PendingWrites {

  /** Marks a KEY bucket entry deleted in this batch (compaction); compared by identity. */
  private static final byte[] DELETED = new byte[0];

  private final Backend backend;
  private final TreeMap<ByteKey, byte[]> keyBucket = new TreeMap<>();
  private WriteBatch batch;

  PendingWrites(Backend backend) {
    this.backend = backend;
    this.batch = backend.newBatch();
  }

  /** Adds a KEY bucket entry; takes ownership of both arrays. */
  void putKey(byte[] revKey, byte[] value) {
    batch.put(Bucket.KEY, revKey, value);
    keyBucket.put(ByteKey.wrap(revKey), value);
  }

  /** Removes a KEY bucket entry (physical compaction); takes ownership of the array. */
  void deleteKey(byte[] revKey) {
    batch.delete(Bucket.KEY, revKey);
    keyBucket.put(ByteKey.wrap(revKey), DELETED);
  }

  /** Adds a LEASE bucket entry; the lessor reads the bucket only at startup, so no read buffer. */
  void putLease(byte[] key, byte[] value) {
    batch.put(Bucket.LEASE, key, value);
  }

  /** Removes a LEASE bucket entry. */
  void deleteLease(byte[] key) {
    batch.delete(Bucket.LEASE, key);
  }

  /** Adds a MEMBERS entry; the member registry reads the bucket only at startup, so no read buffer. */
  void putMember(byte[] key, byte[] value) {
    batch.put(Bucket.MEMBERS, key, value);
  }

  /** Puts (value non-null) or deletes a MEMBERS / MEMBERS_REMOVED entry; read only at startup. */
  void writeMembership(dev.strata.backend.Bucket bucket, byte[] key, byte[] value) {
    if (value == null) {
      batch.delete(bucket, key);
    } else {
      batch.put(bucket, key, value);
    }
  }

  /** Adds a META entry; META is read only at startup, so it needs no read buffer. */
  void putMeta(byte[] key, byte[] value) {
    batch.put(Bucket.META, key, value);
  }

  /** The KEY bucket value under {@code revKey}: from this batch if it has it, else from {@code view}. */
  byte[] getKey(byte[] revKey, LazyView view) {
    byte[] v = keyBucket.get(ByteKey.wrap(revKey));
    if (v == DELETED) {
      return null;
    }
    return v != null ? v : view.get().get(Bucket.KEY, revKey);
  }

  /**
   * A copy of the buffered KEY bucket entries below {@code toExclusive}; deleted entries map to
   * {@code null}. The arrays are shared and must not be modified.
   */
  NavigableMap<ByteKey, byte[]> keySnapshot(ByteKey toExclusive) {
    TreeMap<ByteKey, byte[]> copy = new TreeMap<>();
    keyBucket.headMap(toExclusive, false).forEach((k, v) -> copy.put(k, v == DELETED ? null : v));
    return copy;
  }

  /**
   * A copy of the buffered KEY bucket entries in {@code [from, to)}; deleted entries map to
   * {@code null}. The arrays are shared and must not be modified.
   */
  NavigableMap<ByteKey, byte[]> keyRange(ByteKey from, ByteKey to) {
    TreeMap<ByteKey, byte[]> copy = new TreeMap<>();
    keyBucket.subMap(from, true, to, false).forEach((k, v) -> copy.put(k, v == DELETED ? null : v));
    return copy;
  }

  /**
   * Drops everything pending and starts an empty batch on the backend's current engine instance:
   * after a snapshot install, uncommitted writes of the old content mean nothing.
   */
  void discard() {
    batch = backend.newBatch();
    keyBucket.clear();
  }

  /** Mutations waiting for {@link #commit}. */
  int size() {
    return batch.size();
  }

  /** Commits the batch to the backend (visible, not durable) and starts an empty one. */
  void commit() {
    if (batch.size() == 0) {
      return;
    }
    backend.commit(batch);
    batch = backend.newBatch();
    keyBucket.clear();
  }
}
