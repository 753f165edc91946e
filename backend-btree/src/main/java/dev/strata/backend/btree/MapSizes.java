package dev.strata.backend.btree;

import dev.strata.backend.BackendOptions;

/**
 * How big the LMDB map is. The map is address space, not disk: without {@code MDB_WRITEMAP} the file
 * grows only as pages are written, so a map larger than the data costs nothing but virtual memory.
 * What the map costs is changing it, which needs every read transaction closed (see {@link TxnGate}),
 * so sizes grow by doubling to make that rare.
 */
final class MapSizes {

  /** LMDB wants the map size to be a multiple of the OS page size ({@code lmdb.h}). */
  static final long ALIGN = 4096;

  private MapSizes() {}

  /**
   * The map size to open with: the configured initial size, doubled while it is less than twice
   * the existing file, so that reopening a store that once grew does not start by growing again.
   * Never less than the file (LMDB would silently raise it to exactly the data size, leaving no room).
   */
  static long initial(BackendOptions options, long existingFileBytes) {
    long size = options.initialSizeBytes();
    while (size < 2 * existingFileBytes && size < options.maxSizeBytes()) {
      size = doubled(size, options.maxSizeBytes());
    }
    return Math.max(alignUp(size), alignUp(existingFileBytes));
  }

  /**
   * The next map size above {@code current}: doubled at least once and until it reaches
   * {@code needed}, never above {@code max}. Caller checks {@code current < max} first.
   */
  static long grown(long current, long needed, long max) {
    long size = doubled(current, max);
    while (size < needed && size < max) {
      size = doubled(size, max);
    }
    return Math.min(alignUp(size), max);
  }

  private static long doubled(long size, long max) {
    return size > max / 2 ? max : size * 2;
  }

  static long alignUp(long bytes) {
    return (bytes + ALIGN - 1) / ALIGN * ALIGN;
  }
}
