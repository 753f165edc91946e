package dev.strata.backend.lsm;

import dev.strata.backend.BackendOptions;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteOptions;

/**
 * Every native option object the engine needs for its whole life, created once at open and closed
 * after the database in reverse order of creation. RocksJava no longer frees native objects in
 * finalizers, and the database keeps raw pointers to the cache and filter, so these must stay
 * strongly reachable and open until {@code RocksDB.close()} has returned.
 *
 * <p>Choices (see {@code /work/shared/reference/storage-engines.md} section B):
 * <ul>
 *   <li>LZ4 above the bottom level, ZSTD at the bottom, where ~90% of the data lives once level
 *       sizes are dynamic: cheap compression for data that is rewritten soon, dense compression for
 *       data that stays.</li>
 *   <li>Bloom filter at 10 bits/key (~1% false positives) for point gets of META/LEASE keys; index
 *       and filter blocks live in the one shared block cache so {@code cacheBytes} bounds memory.</li>
 *   <li>Two background jobs: these machines have two cores shared with the server and Raft.</li>
 *   <li>A small info LOG (3 files of at most 1 MiB): it is for post-mortems, not an audit trail.</li>
 *   <li>The MANIFEST is rewritten from the current state once it reaches 64 MiB (default 1 GiB):
 *       every {@code sync()} appends a flush record, and Strata syncs at every Raft snapshot.</li>
 * </ul>
 */
final class NativeConfig implements AutoCloseable {

  private static final int BLOOM_BITS_PER_KEY = 10;
  private static final int BACKGROUND_JOBS = 2;
  private static final long LOG_FILES_KEPT = 3;
  private static final long LOG_FILE_BYTES = 1L << 20;
  private static final long MANIFEST_BYTES = 64L << 20;

  final LRUCache blockCache;
  final BloomFilter bloomFilter;
  final Options options;
  /** WAL disabled on every write: Strata's Raft log is the write-ahead log. */
  final WriteOptions writeOptions;
  /** Waits until the memtable's SST files and the MANIFEST are synced and installed. */
  final FlushOptions flushOptions;

  NativeConfig(BackendOptions opts) {
    blockCache = new LRUCache(opts.cacheBytes());
    bloomFilter = new BloomFilter(BLOOM_BITS_PER_KEY);
    var table = new BlockBasedTableConfig()
        .setBlockCache(blockCache)
        .setFilterPolicy(bloomFilter)
        .setCacheIndexAndFilterBlocks(true)
        // Recommended with cache_index_and_filter_blocks: keeps L0's (hot, short-lived) index and
        // filter blocks from being evicted by data blocks.
        .setPinL0FilterAndIndexBlocksInCache(true);
    options = new Options()
        .setCreateIfMissing(true)
        .setTableFormatConfig(table)
        .setCompressionType(CompressionType.LZ4_COMPRESSION)
        .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION)
        .setLevelCompactionDynamicLevelBytes(true)
        .setMaxBackgroundJobs(BACKGROUND_JOBS)
        .setInfoLogLevel(InfoLogLevel.INFO_LEVEL)
        .setKeepLogFileNum(LOG_FILES_KEPT)
        .setMaxLogFileSize(LOG_FILE_BYTES)
        .setMaxManifestFileSize(MANIFEST_BYTES);
    writeOptions = new WriteOptions().setDisableWAL(true);
    flushOptions = new FlushOptions().setWaitForFlush(true);
  }

  /** Closes in reverse order of creation. Call only after the database is closed. */
  @Override
  public void close() {
    flushOptions.close();
    writeOptions.close();
    options.close();
    bloomFilter.close();
    blockCache.close();
  }
}
