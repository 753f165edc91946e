package dev.strata.server.mvcc;

import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * etcd's HashKV ({@code mvcc/hash.go}, {@code kvstore.go} hashByRev): CRC-32C over the bucket name
 * {@code "key"}, then, in KEY bucket order, every entry's key and value with main ≤ rev, skipping
 * entries ≤ compactRev that a compaction at rev would not keep and a tombstone at exactly compactRev.
 * Whether physical compaction has finished does not change the result: it only deletes entries the
 * rule already skips.
 */
final class HashKv {

  private static final byte[] BUCKET_NAME = Bucket.KEY.etcdName().getBytes(StandardCharsets.US_ASCII);

  private HashKv() {}

  /**
   * Hashes the committed entries of {@code view} overlaid with {@code buffered} (uncommitted entries;
   * a null value is a deletion), both taken at the same moment.
   *
   * @param keep revisions ≤ rev a compaction at rev would keep ({@link TreeIndex#keep})
   * @param unfinished the physical compaction still deleting entries, or null: its victims are
   *     treated as already gone, so that every member hashes alike whatever its progress
   */
  static int hash(ReadView view, NavigableMap<ByteKey, byte[]> buffered, long rev, long compactRev,
      Set<Revision> keep, Compaction unfinished) {
    CRC32C crc = new CRC32C();
    crc.update(BUCKET_NAME);
    byte[] end = upperBound(rev);
    Iterator<Map.Entry<ByteKey, byte[]>> buf = buffered.entrySet().iterator();
    Map.Entry<ByteKey, byte[]> b = buf.hasNext() ? buf.next() : null;
    try (Cursor c = view.cursor(Bucket.KEY, null, end)) {
      byte[] ck = c.next() ? c.key() : null;
      byte[] cv = ck == null ? null : c.value();
      // Merge the two sorted streams; on equal keys the buffer's newer state wins.
      while (ck != null || b != null) {
        int cmp = ck == null ? 1 : b == null ? -1 : ByteKey.wrap(ck).compareTo(b.getKey());
        byte[] k;
        byte[] v;
        if (cmp < 0) {
          k = ck;
          v = cv;
        } else {
          k = b.getKey().bytes();
          v = b.getValue();
          b = buf.hasNext() ? buf.next() : null;
        }
        if (cmp <= 0) {
          ck = c.next() ? c.key() : null;
          cv = ck == null ? null : c.value();
        }
        if (v != null && included(k, rev, compactRev, keep)
            && (unfinished == null || !unfinished.wouldDelete(k))) {
          crc.update(k);
          crc.update(v);
        }
      }
    }
    return (int) crc.getValue();
  }

  /** KEY bucket keys below this bound have main ≤ rev (none if rev < 0). */
  static byte[] upperBound(long rev) {
    return Revision.mainPrefix(Math.max(rev + 1, 0));
  }

  private static boolean included(byte[] key, long rev, long compactRev, Set<Revision> keep) {
    Revision kr = Revision.fromBytes(key);
    if (kr.main() > rev) {
      return false;
    }
    if (kr.main() <= compactRev && !keep.isEmpty() && !keep.contains(kr)) {
      return false;
    }
    // Newer etcd versions keep a tombstone at exactly the compaction revision, older ones drop it;
    // etcd skips it so that both hash alike.
    return !(kr.main() == compactRev && Revision.isTombstone(key));
  }
}
