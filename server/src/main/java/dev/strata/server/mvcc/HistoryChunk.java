package dev.strata.server.mvcc;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * A piece of the store's history read by {@link MvccStore#readHistory}: the events of every revision
 * in {@code [from, lastRevision]} in revision/sub-revision order, never splitting a revision, or the
 * news that {@code from} is compacted.
 *
 * @param compactRevision the compaction revision if the requested start was compacted (then
 *     {@code events} is empty and {@code lastRevision} is 0), else -1
 * @param events PUT with the stored kv, DELETE with a kv of {@code key} and {@code mod_revision} only
 * @param lastRevision every revision up to this one is in {@code events}
 */
public record HistoryChunk(long compactRevision, List<Event> events, long lastRevision) {

  static HistoryChunk compacted(long compactRevision) {
    return new HistoryChunk(compactRevision, List.of(), 0);
  }

  public boolean isCompacted() {
    return compactRevision >= 0;
  }
}
