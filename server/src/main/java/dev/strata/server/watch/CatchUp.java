package dev.strata.server.watch;

import dev.strata.server.mvcc.HistoryChunk;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.ResponseHeader;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of the sync thread over unsynced watchers (etcd's {@code syncWatchers}): take up to
 * {@code maxWatchersPerSync} whose streams have room, read one chunk of history from the smallest
 * {@code minRev} up to the last published revision <em>without</em> the hub lock, then, under it,
 * queue each watcher's matching events and advance it, moving it to the synced group once it has
 * reached the last published revision.
 *
 * <p>Correctness rests on two facts: a revision is visible in the store before it is published, so
 * history up to {@code notifiedRev} is complete; and a watcher leaves the unsynced group only under
 * the hub lock after checking {@code minRev > notifiedRev}, so no live revision falls between.
 */
final class CatchUp {

  private static final Logger LOG = LoggerFactory.getLogger(CatchUp.class);

  private final WatchHub hub;

  CatchUp(WatchHub hub) {
    this.hub = hub;
  }

  /** Runs one pass; true if it moved some watcher forward (then the next pass runs at once). */
  boolean pass() {
    List<Watcher> batch = new ArrayList<>();
    long toRev;
    hub.lock.lock();
    try {
      toRev = hub.notifiedRev;
      List<Watcher> waiting = new ArrayList<>();
      int n = hub.unsynced.size();
      while (n-- > 0 && batch.size() < hub.options.maxWatchersPerSync()) {
        Watcher w = hub.unsynced.poll();
        if (w.state != Watcher.UNSYNCED) {
          continue; // cancelled while waiting
        }
        if (w.minRev > toRev) {
          hub.addSynced(w);
        } else if (w.stream.hasRoomOrMark()) {
          batch.add(w);
        } else {
          waiting.add(w); // retried when its stream drains (onDrained wakes this thread)
        }
      }
      hub.unsynced.addAll(waiting);
    } finally {
      hub.lock.unlock();
    }
    if (batch.isEmpty()) {
      return false;
    }
    long from = Long.MAX_VALUE;
    for (Watcher w : batch) {
      from = Math.min(from, w.minRev); // only the sync thread changes an unsynced watcher's minRev
    }
    HistoryChunk chunk;
    try {
      chunk = hub.store.readHistory(from, toRev, hub.options.syncBatchEntries());
    } catch (RuntimeException e) {
      if (!hub.closed) {
        LOG.error("watch catch-up read failed: from={} to={} error=\"{}\"", from, toRev, e.toString());
      }
      requeue(batch);
      return false;
    }
    apply(batch, chunk);
    return true;
  }

  private void apply(List<Watcher> batch, HistoryChunk chunk) {
    List<byte[]> keys = new ArrayList<>(chunk.events().size());
    for (Event ev : chunk.events()) {
      keys.add(ev.getKv().getKey().toByteArray());
    }
    // etcd sets the current revision; the chunk's end is never more than what was delivered.
    ResponseHeader header = Responses.revision(chunk.lastRevision());
    hub.lock.lock();
    try {
      for (Watcher w : batch) {
        if (w.state != Watcher.UNSYNCED) {
          continue;
        }
        if (chunk.isCompacted()) {
          if (w.minRev < chunk.compactRevision()) {
            // The id stays registered until the client cancels it, as in etcd.
            w.state = Watcher.COMPACTED;
            w.stream.enqueue(Responses.compacted(w.id, chunk.compactRevision()));
          } else {
            hub.unsynced.add(w);
          }
          continue;
        }
        if (w.minRev > chunk.lastRevision()) {
          hub.unsynced.add(w); // another watcher's older position limited this chunk
          continue;
        }
        List<Event> mine = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
          Event ev = chunk.events().get(i);
          if (ev.getKv().getModRevision() >= w.minRev && w.matches(keys.get(i)) && w.wants(ev)) {
            mine.add(ev);
          }
        }
        if (!mine.isEmpty()) {
          w.stream.enqueue(w, Responses.events(w.id, header, mine));
        }
        w.minRev = chunk.lastRevision() + 1;
        if (w.minRev > hub.notifiedRev) {
          hub.addSynced(w);
        } else {
          hub.unsynced.add(w);
        }
      }
    } finally {
      hub.lock.unlock();
    }
  }

  private void requeue(List<Watcher> batch) {
    hub.lock.lock();
    try {
      for (Watcher w : batch) {
        if (w.state == Watcher.UNSYNCED) {
          hub.unsynced.add(w);
        }
      }
    } finally {
      hub.lock.unlock();
    }
  }
}
