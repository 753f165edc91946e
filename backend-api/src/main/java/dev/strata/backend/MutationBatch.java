package dev.strata.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The {@link WriteBatch} every engine hands out: validates and copies arguments, records
 * {@link Mutation}s in order, and lets the engine that created it claim it exactly once at commit.
 * Engines own the translation to their native batch; callers see only {@link WriteBatch}.
 */
public final class MutationBatch implements WriteBatch {

  private final Object owner;
  private final List<Mutation> mutations = new ArrayList<>();
  private long byteSize;
  private boolean committed;

  /** @param owner the backend that may commit this batch (checked by {@link #claim}) */
  public MutationBatch(Object owner) {
    this.owner = Objects.requireNonNull(owner, "owner");
  }

  @Override
  public void put(Bucket bucket, byte[] key, byte[] value) {
    checkOpen();
    Keys.checkKey(key);
    Objects.requireNonNull(bucket, "bucket must not be null");
    if (value == null) {
      throw new IllegalArgumentException("value must not be null (use an empty array)");
    }
    mutations.add(new Mutation.Put(bucket, key.clone(), value.clone()));
    byteSize += key.length + value.length;
  }

  @Override
  public void delete(Bucket bucket, byte[] key) {
    checkOpen();
    Keys.checkKey(key);
    Objects.requireNonNull(bucket, "bucket must not be null");
    mutations.add(new Mutation.Delete(bucket, key.clone()));
    byteSize += key.length;
  }

  @Override
  public void deleteRange(Bucket bucket, byte[] fromInclusive, byte[] toExclusive) {
    checkOpen();
    Objects.requireNonNull(bucket, "bucket must not be null");
    byte[] from = fromInclusive == null ? null : fromInclusive.clone();
    byte[] to = toExclusive == null ? null : toExclusive.clone();
    mutations.add(new Mutation.DeleteRange(bucket, from, to));
    byteSize += (from == null ? 0 : from.length) + (to == null ? 0 : to.length);
  }

  @Override
  public int size() {
    return mutations.size();
  }

  @Override
  public long byteSize() {
    return byteSize;
  }

  /**
   * Called by the engine in {@code commit}: checks that {@code backend} created this batch and that it
   * was not committed before, marks it committed and returns its mutations in order.
   *
   * @throws IllegalArgumentException if {@code batch} is not a batch of {@code backend}
   * @throws IllegalStateException if it was already committed
   */
  public static List<Mutation> claim(WriteBatch batch, Object backend) {
    if (!(batch instanceof MutationBatch mb) || mb.owner != backend) {
      throw new IllegalArgumentException("batch was not created by this backend");
    }
    mb.checkOpen();
    mb.committed = true;
    return Collections.unmodifiableList(mb.mutations);
  }

  private void checkOpen() {
    if (committed) {
      throw new IllegalStateException("batch was already committed; start a new one with newBatch()");
    }
  }
}
