package dev.strata.server.mvcc;

import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import java.util.Set;

/**
 * The physical half of a compaction at {@code rev}: deletes, in chunks, every KEY bucket entry with
 * main ≤ rev that the compacted key index no longer references, then records
 * {@code finishedCompactRev} (etcd's {@code scheduleCompaction} in {@code kvstore_compaction.go}).
 *
 * <p>Each {@link #step} scans committed data only, so the caller commits the pending batch before the
 * first step (as etcd's ForceCommit does) and after each step. Entries above rev are never touched,
 * so writes may go on between steps. Apply thread only, under the store's write lock.
 */
final class Compaction {

  /** etcd's default compaction batch limit. */
  static final int CHUNK = 1000;

  private final long rev;
  private final Set<Revision> keep;
  private final byte[] end;
  private byte[] next = new byte[Revision.BYTES];
  private boolean done;

  Compaction(long rev, Set<Revision> keep) {
    this.rev = rev;
    this.keep = keep;
    this.end = Revision.mainPrefix(rev + 1);
  }

  long rev() {
    return rev;
  }

  /** True if the finished compaction will have deleted {@code key}. */
  boolean wouldDelete(byte[] key) {
    Revision r = Revision.fromBytes(key);
    return r.main() <= rev && !keep.contains(r);
  }

  boolean done() {
    return done;
  }

  /**
   * Deletes the unreferenced entries among the next {@code chunk} KEY bucket entries ≤ rev into
   * {@code pending}; writes {@code finishedCompactRev} there when the scan is complete.
   *
   * @return the number of entries deleted
   */
  int step(Backend backend, PendingWrites pending, int chunk) {
    if (done) {
      return 0;
    }
    int seen = 0;
    int deleted = 0;
    byte[] last = null;
    try (ReadView view = backend.readView(); Cursor c = view.cursor(Bucket.KEY, next, end)) {
      while (seen < chunk && c.next()) {
        byte[] key = c.key();
        seen++;
        last = key;
        if (!keep.contains(Revision.fromBytes(key))) {
          pending.deleteKey(key);
          deleted++;
        }
      }
    }
    if (seen < chunk) {
      pending.putMeta(Meta.FINISHED_COMPACT_REV, Meta.compactRev(rev));
      done = true;
    } else {
      Revision r = Revision.fromBytes(last);
      next = new Revision(r.main(), r.sub() + 1).toBytes();
    }
    return deleted;
  }
}
