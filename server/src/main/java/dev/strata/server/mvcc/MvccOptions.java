package dev.strata.server.mvcc;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongPredicate;

/**
 * Tuning and collaborators of an {@link MvccStore}.
 *
 * @param batchMaxOps commit the pending backend batch once it holds this many applied operations
 *     (etcd's batch limit, 10000)
 * @param batchInterval ... or once this long has passed since the last commit (etcd's 100 ms)
 * @param leaseExists answers whether a lease id is granted; Put with a lease that is absent fails with
 *     LEASE_NOT_FOUND. Called on the apply thread.
 */
public record MvccOptions(int batchMaxOps, Duration batchInterval, LongPredicate leaseExists) {

  public MvccOptions {
    if (batchMaxOps <= 0) {
      throw new IllegalArgumentException("batchMaxOps must be > 0, got " + batchMaxOps);
    }
    Objects.requireNonNull(batchInterval, "batchInterval");
    Objects.requireNonNull(leaseExists, "leaseExists");
    if (batchInterval.isNegative()) {
      throw new IllegalArgumentException("batchInterval must not be negative, got " + batchInterval);
    }
  }

  /** etcd's defaults (10000 ops, 100 ms); no lease exists until the lessor is wired in, so a Put with a lease fails like etcd's for an unknown lease. */
  public static MvccOptions defaults() {
    return new MvccOptions(10_000, Duration.ofMillis(100), id -> false);
  }

  public MvccOptions withLeaseExists(LongPredicate leaseExists) {
    return new MvccOptions(batchMaxOps, batchInterval, leaseExists);
  }

  public MvccOptions withBatch(int maxOps, Duration interval) {
    return new MvccOptions(maxOps, interval, leaseExists);
  }
}
