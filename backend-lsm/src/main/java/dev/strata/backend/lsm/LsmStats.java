package dev.strata.backend.lsm;

import dev.strata.backend.BackendStats;
import dev.strata.backend.Bucket;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.Range;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SizeApproximationFlag;
import org.rocksdb.Slice;
import org.rocksdb.Status;

/**
 * {@link BackendStats} for the lsm engine, computed without blocking writers and in time bounded by
 * a constant per bucket (never a full scan):
 *
 * <ul>
 *   <li><b>bytesOnDisk</b>: the data the engine holds: {@code rocksdb.total-sst-files-size} (every SST
 *       file still referenced, including ones an open cursor pins) plus
 *       {@code rocksdb.cur-size-all-mem-tables} (unflushed data that the next flush writes out, so a
 *       quota check tracks writes at once instead of lagging by a memtable). RocksDB's metadata files
 *       (MANIFEST, OPTIONS, CURRENT, the info LOG) are not counted: they are bounded (see
 *       {@link NativeConfig}) and unrelated to the data, so {@code du} on the directory reads a few
 *       MiB more. This is the size TiKV and CockroachDB report for RocksDB stores, and it is O(1).</li>
 *   <li><b>bytesInUse</b>: {@code rocksdb.estimate-live-data-size} (SST bytes not known to be
 *       garbage) plus the memtables, capped at bytesOnDisk because the estimate may overshoot.</li>
 *   <li><b>keysPerBucket</b>: an estimate. Each bucket is first counted exactly with an iterator
 *       that may visit at most {@link #EXACT_COUNT_LIMIT} live keys and skip at most
 *       {@link #MAX_SKIPPED_INTERNAL_KEYS} tombstones or old versions; small buckets (all but KEY in
 *       practice) are therefore exact. A bucket past either limit is estimated as its memtable
 *       entries ({@code getApproximateMemTableStats}) plus the SST key estimate
 *       ({@code rocksdb.estimate-num-keys} minus the memtables' live entries) scaled by the bucket's
 *       share of SST bytes ({@code getApproximateSizes}); deletions and overwrites not yet compacted
 *       away make it an over- or under-estimate.</li>
 * </ul>
 */
final class LsmStats {

  static final int EXACT_COUNT_LIMIT = 1024;
  static final long MAX_SKIPPED_INTERNAL_KEYS = 4L * EXACT_COUNT_LIMIT;

  private LsmStats() {}

  static BackendStats compute(RocksDB db) throws RocksDBException {
    long memtables = db.getLongProperty("rocksdb.cur-size-all-mem-tables");
    long onDisk = db.getLongProperty("rocksdb.total-sst-files-size") + memtables;
    long live = db.getLongProperty("rocksdb.estimate-live-data-size") + memtables;
    return new BackendStats(LsmBackendFactory.NAME, onDisk, Math.min(onDisk, live), keysPerBucket(db));
  }

  /** Keys a bounded iteration saw, and whether that was the whole bucket. */
  private record Count(long seen, boolean exact) {}

  private static Map<Bucket, Long> keysPerBucket(RocksDB db) throws RocksDBException {
    var keys = new EnumMap<Bucket, Long>(Bucket.class);
    var large = new EnumMap<Bucket, Long>(Bucket.class);
    for (Bucket bucket : Bucket.values()) {
      Count count = boundedCount(db, bucket);
      (count.exact() ? keys : large).put(bucket, count.seen());
    }
    if (!large.isEmpty()) {
      estimate(db, large, keys);
    }
    return keys;
  }

  private static Count boundedCount(RocksDB db, Bucket bucket) throws RocksDBException {
    try (var upper = new Slice(BucketKeys.end(bucket));
        var options = new ReadOptions()
            .setIterateUpperBound(upper)
            .setFillCache(false) // a metric must not evict the working set
            .setMaxSkippableInternalKeys(MAX_SKIPPED_INTERNAL_KEYS);
        var it = db.newIterator(options)) {
      long seen = 0;
      for (it.seek(BucketKeys.start(bucket)); it.isValid(); it.next()) {
        if (++seen > EXACT_COUNT_LIMIT) {
          return new Count(seen, false);
        }
      }
      try {
        it.status();
      } catch (RocksDBException e) {
        if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
          return new Count(seen, false); // too many tombstones to skip: estimate instead
        }
        throw e;
      }
      return new Count(seen, true);
    }
  }

  /** Estimates each bucket of {@code seen}, never below the keys the bounded count already saw. */
  private static void estimate(RocksDB db, Map<Bucket, Long> seen, Map<Bucket, Long> out)
      throws RocksDBException {
    List<Bucket> buckets = new ArrayList<>(seen.keySet());
    long memLive = db.getLongProperty("rocksdb.num-entries-active-mem-table")
        + db.getLongProperty("rocksdb.num-entries-imm-mem-tables")
        - db.getLongProperty("rocksdb.num-deletes-active-mem-table")
        - db.getLongProperty("rocksdb.num-deletes-imm-mem-tables");
    long sstKeys = Math.max(0, db.getLongProperty("rocksdb.estimate-num-keys") - Math.max(0, memLive));

    List<Slice> slices = new ArrayList<>();
    try {
      List<Range> ranges = new ArrayList<>();
      for (Bucket bucket : buckets) {
        ranges.add(range(slices, BucketKeys.start(bucket), BucketKeys.end(bucket)));
      }
      // The whole key space, measured the same way, is the denominator of each bucket's share:
      // approximate sizes count data blocks only, so dividing by total-sst-files-size would
      // understate every share by the index and filter overhead.
      ranges.add(range(slices, new byte[] {0}, new byte[] {(byte) 0xFF}));
      long[] sstBytes = db.getApproximateSizes(ranges, SizeApproximationFlag.INCLUDE_FILES);
      long sstBytesAll = sstBytes[buckets.size()];
      for (int i = 0; i < buckets.size(); i++) {
        long inMemtables = db.getApproximateMemTableStats(ranges.get(i)).count;
        long inSsts = sstBytesAll <= 0 ? 0
            : (long) ((double) sstKeys * Math.min(sstBytes[i], sstBytesAll) / sstBytesAll);
        Bucket bucket = buckets.get(i);
        out.put(bucket, Math.max(seen.get(bucket), inMemtables + inSsts));
      }
    } finally {
      for (Slice slice : slices) {
        slice.close();
      }
    }
  }

  /** A Range over {@code [start, end)} whose native slices are added to {@code owned} for closing. */
  private static Range range(List<Slice> owned, byte[] start, byte[] end) {
    var from = new Slice(start);
    owned.add(from);
    var to = new Slice(end);
    owned.add(to);
    return new Range(from, to);
  }
}
