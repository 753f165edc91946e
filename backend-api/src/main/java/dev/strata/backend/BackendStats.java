package dev.strata.backend;

import java.util.Map;

/**
 * Size and content estimates of a backend, each defined by the engine and cheap to compute.
 *
 * @param engine the engine's {@link BackendFactory#name()}
 * @param bytesOnDisk bytes the engine's files occupy (etcd's dbSize)
 * @param bytesInUse bytes holding live data; {@code <= bytesOnDisk} (etcd's dbSizeInUse)
 * @param keysPerBucket number of keys in each bucket; exact for btree, an estimate for lsm
 */
public record BackendStats(String engine, long bytesOnDisk, long bytesInUse, Map<Bucket, Long> keysPerBucket) {

  public BackendStats {
    keysPerBucket = Map.copyOf(keysPerBucket);
  }

  /** Keys in {@code bucket}, 0 if unknown. */
  public long keys(Bucket bucket) {
    return keysPerBucket.getOrDefault(bucket, 0L);
  }
}
