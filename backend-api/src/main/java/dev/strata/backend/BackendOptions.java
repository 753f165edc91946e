package dev.strata.backend;

/**
 * Engine tuning shared by all engines; each engine reads what applies to it.
 *
 * @param initialSizeBytes btree: initial LMDB map size (grows on demand); lsm: ignored
 * @param maxSizeBytes btree: the map never grows past this (etcd's --quota-backend-bytes plus headroom);
 *     lsm: ignored (no size ceiling)
 * @param cacheBytes lsm: block cache size; btree: ignored (the OS page cache serves the mmap)
 */
public record BackendOptions(long initialSizeBytes, long maxSizeBytes, long cacheBytes) {

  public static final long MIB = 1024L * 1024;
  public static final long GIB = 1024L * MIB;

  public BackendOptions {
    if (initialSizeBytes <= 0 || maxSizeBytes < initialSizeBytes || cacheBytes < 0) {
      throw new IllegalArgumentException(
          "need 0 < initialSizeBytes <= maxSizeBytes and cacheBytes >= 0, got " + this);
    }
  }

  /** 64 MiB initial map, 64 GiB ceiling, 128 MiB block cache. */
  public static BackendOptions defaults() {
    return new BackendOptions(64 * MIB, 64 * GIB, 128 * MIB);
  }

  public BackendOptions withInitialSizeBytes(long bytes) {
    return new BackendOptions(bytes, Math.max(bytes, maxSizeBytes), cacheBytes);
  }

  public BackendOptions withMaxSizeBytes(long bytes) {
    return new BackendOptions(Math.min(initialSizeBytes, bytes), bytes, cacheBytes);
  }

  public BackendOptions withCacheBytes(long bytes) {
    return new BackendOptions(initialSizeBytes, maxSizeBytes, bytes);
  }
}
