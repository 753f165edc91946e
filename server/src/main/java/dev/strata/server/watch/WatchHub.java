package dev.strata.server.watch;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The watch registry of one member, etcd's {@code watchableStore} ({@code watchable_store.go},
 * {@code watcher_group.go}):
 * <ul>
 *   <li><b>synced</b> watchers get each new revision's events straight from the apply thread
 *       ({@link #onRevision}), found through an exact-key table and an interval tree;</li>
 *   <li><b>unsynced</b> watchers (start in the past, or returning victims) are caught up from the
 *       store's history by one sync thread ({@link CatchUp}), reading in chunks outside any lock, then
 *       join the synced group;</li>
 *   <li><b>victims</b> are synced watchers whose stream queue was full at a live event: they leave
 *       the synced group with that one response parked, and when the stream drains the response is
 *       queued and they continue as unsynced. The apply thread never waits for a client.</li>
 * </ul>
 * Each watcher's responses are queued in revision order with no gap and no repeat: a watcher is in
 * exactly one state, every transition happens under {@link #lock}, and {@code minRev} is the next
 * revision it must see.
 *
 * <p>Threads: the apply thread ({@link #onRevision}); gRPC inbound threads (create, cancel,
 * progress); the sync thread; send threads (draining streams, {@link #onDrained}); one scheduler
 * thread (progress ticks). Lock order: hub lock, then a stream's monitor; the store's lock is never
 * taken while holding the hub lock, except once in {@link #start}.
 */
public final class WatchHub implements AutoCloseable {

  static final String RANGE_EMPTY = "mvcc: watcher range is empty";
  static final String DUPLICATE_ID = "mvcc: duplicate watch ID provided on the WatchStream";

  final MvccStore store;
  final WatchOptions options;
  final ReentrantLock lock = new ReentrantLock();
  private final Condition syncWake = lock.newCondition();
  final ExecutorService sendPool;
  private final ScheduledExecutorService scheduler;
  private final CatchUp catchUp;
  private final Thread syncThread;

  // hub lock
  /** The last revision published by the store: every synced watcher has been given all up to it. */
  long notifiedRev;
  private final KeyTable exact = new KeyTable();
  private final IntervalTree ranges = new IntervalTree();
  final ArrayDeque<Watcher> unsynced = new ArrayDeque<>();
  private int syncedCount;
  private int watcherCount;
  private long victimsMade;
  private boolean wakePending;
  volatile boolean closed;

  private WatchHub(MvccStore store, WatchOptions options) {
    this.store = store;
    this.options = options;
    this.sendPool = Executors.newFixedThreadPool(options.sendThreads(), daemons("strata-watch-send"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemons("strata-watch-progress"));
    this.catchUp = new CatchUp(this);
    this.syncThread = daemons("strata-watch-sync").newThread(this::syncLoop);
  }

  /**
   * Creates the hub and registers it as {@code store}'s revision listener. Call after the store is
   * open, before the apply thread runs (it is also safe later).
   */
  public static WatchHub start(MvccStore store, WatchOptions options) {
    WatchHub hub = new WatchHub(store, options);
    hub.lock.lock();
    try {
      hub.notifiedRev = store.setRevisionListener(hub::onRevision);
    } finally {
      hub.lock.unlock();
    }
    hub.syncThread.start();
    return hub;
  }

  /** Opens a stream sending to {@code sink}; call {@link WatchStream#close} when the client is gone. */
  public WatchStream openStream(WatchSink sink, HeaderFiller headers) {
    return new WatchStream(this, sink, headers);
  }

  /** Watchers registered on open streams, in any state. */
  public int watchers() {
    lock.lock();
    try {
      return watcherCount;
    } finally {
      lock.unlock();
    }
  }

  /** Watchers receiving live events. */
  public int syncedWatchers() {
    lock.lock();
    try {
      return syncedCount;
    } finally {
      lock.unlock();
    }
  }

  /** How many times a live watcher found its stream full and became a victim (a metric). */
  public long victimsMade() {
    lock.lock();
    try {
      return victimsMade;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The store's content was replaced (snapshot install, {@link MvccStore#reload}): etcd's
   * {@code watchableStore.Restore}. Every synced watcher becomes unsynced at the revision it expects
   * next, so the sync thread catches it up from the new store's history — or cancels it with
   * compaction semantics if the new store compacted that revision away — and it then rejoins the
   * synced group; watchers of future revisions wait as before. Call on the apply thread right after
   * the reload, before anything new is applied.
   */
  public void restore() {
    lock.lock();
    try {
      List<Watcher> moved = new ArrayList<>(syncedCount);
      exact.forEach(moved::add);
      ranges.forEach(moved::add);
      for (Watcher w : moved) {
        removeSynced(w);
        makeUnsynced(w);
      }
      // Revisions the store jumped over were never published: nothing counts as delivered past the
      // new content; every watcher keeps its own minRev, which is what it has really been given.
      notifiedRev = store.currentRevision();
    } finally {
      lock.unlock();
    }
  }

  /** Stops the threads and unregisters from the store; open streams get nothing more. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    try {
      store.setRevisionListener(null);
    } catch (IllegalStateException storeAlreadyClosed) {
      // nothing will be published any more anyway
    }
    lock.lock();
    try {
      closed = true;
      syncWake.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      syncThread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
    sendPool.shutdownNow();
  }

  // ---- the apply thread ----

  /** The store's hook: queues revision {@code rev}'s events for every synced watcher they match. */
  void onRevision(long rev, List<Event> events) {
    lock.lock();
    try {
      if (rev <= notifiedRev) {
        return;
      }
      notifiedRev = rev;
      if (syncedCount == 0) {
        return;
      }
      ResponseHeader header = Responses.revision(rev);
      if (events.size() == 1) {
        List<Watcher> hits = new ArrayList<>();
        forEachSyncedMatch(events.get(0), hits::add);
        for (Watcher w : hits) { // after matching: delivery may move a watcher out of the index
          deliver(w, rev, header, events);
        }
        return;
      }
      IdentityHashMap<Watcher, List<Event>> hits = new IdentityHashMap<>();
      for (Event ev : events) {
        forEachSyncedMatch(ev, w -> hits.computeIfAbsent(w, x -> new ArrayList<>(2)).add(ev));
      }
      hits.forEach((w, evs) -> deliver(w, rev, header, evs));
    } finally {
      lock.unlock();
    }
  }

  private void forEachSyncedMatch(Event ev, Consumer<Watcher> f) {
    byte[] key = ev.getKv().getKey().toByteArray();
    exact.forEachMatch(key, f);
    ranges.stab(key, f);
  }

  private void deliver(Watcher w, long rev, ResponseHeader header, List<Event> evs) {
    if (w.minRev > rev) {
      return; // a watch of a future revision
    }
    w.minRev = rev + 1;
    List<Event> mine = filter(w, evs);
    if (mine.isEmpty()) {
      return;
    }
    WatchResponse r = Responses.events(w.id, header, mine);
    if (w.stream.hasRoomOrMark()) {
      w.stream.enqueue(w, r);
      return;
    }
    removeSynced(w);
    victimsMade++;
    w.state = Watcher.VICTIM;
    w.parked = r;
    w.stream.victims.add(w);
  }

  static List<Event> filter(Watcher w, List<Event> evs) {
    if (!w.has(Watcher.NO_PUT) && !w.has(Watcher.NO_DELETE)) {
      return evs;
    }
    List<Event> out = new ArrayList<>(evs.size());
    for (Event ev : evs) {
      if (w.wants(ev)) {
        out.add(ev);
      }
    }
    return out;
  }

  // ---- stream requests (inbound threads) ----

  void create(WatchStream s, WatchCreateRequest c) {
    // etcd's normalisation (v3rpc/watch.go): "" is the smallest key, "\0" as end means no end.
    byte[] key = c.getKey().isEmpty() ? new byte[] {0} : c.getKey().toByteArray();
    ByteString re = c.getRangeEnd();
    byte[] end = re.isEmpty() ? null : re.size() == 1 && re.byteAt(0) == 0 ? new byte[0] : re.toByteArray();
    long start = c.getStartRevision();
    long id = WireFields.watchId(c);
    lock.lock();
    try {
      if (s.closed) {
        return;
      }
      String reason = null;
      if (start < 0) {
        reason = EtcdError.COMPACTED.message(); // etcd ≥ 3.4.38 / 3.5.24 (#20693)
      } else if (end != null && end.length > 0 && Arrays.compareUnsigned(key, end) >= 0) {
        reason = RANGE_EMPTY;
      } else if (id == -1 || (id != 0 && s.watchers.get(id) != null)) {
        reason = DUPLICATE_ID; // -1 is reserved for RequestProgress replies
      }
      if (reason != null) {
        s.enqueue(Responses.rejected(notifiedRev, reason));
        return;
      }
      if (id == 0) {
        while (s.watchers.get(s.nextAutoId) != null) {
          s.nextAutoId++;
        }
        id = s.nextAutoId++;
      }
      Watcher w = new Watcher(id, s, key, end, start, flags(c));
      s.watchers.put(id, w);
      watcherCount++;
      s.enqueue(Responses.created(id, notifiedRev)); // before any event of it: same lock
      long compactRev = store.compactRevision();
      if (start == 0 || start > notifiedRev) {
        w.minRev = start == 0 ? notifiedRev + 1 : start;
        addSynced(w);
      } else if (start < compactRev) {
        w.state = Watcher.COMPACTED;
        s.enqueue(Responses.compacted(id, compactRev));
      } else {
        w.minRev = start;
        makeUnsynced(w);
      }
      if (w.has(Watcher.PROGRESS_NOTIFY) && s.ticker == null) {
        scheduleTick(s);
      }
    } finally {
      lock.unlock();
    }
  }

  private static byte flags(WatchCreateRequest c) {
    int f = 0;
    for (int filter : c.getFiltersValueList()) {
      if (filter == WatchCreateRequest.FilterType.NOPUT_VALUE) {
        f |= Watcher.NO_PUT;
      } else if (filter == WatchCreateRequest.FilterType.NODELETE_VALUE) {
        f |= Watcher.NO_DELETE;
      }
    }
    f |= c.getPrevKv() ? Watcher.PREV_KV : 0;
    f |= WireFields.fragment(c) ? Watcher.FRAGMENT : 0;
    f |= c.getProgressNotify() ? Watcher.PROGRESS_NOTIFY : 0;
    return (byte) f;
  }

  /** A live id gets {@code canceled=true}; an unknown one gets no reply (etcd). */
  void cancel(WatchStream s, long id) {
    lock.lock();
    try {
      Watcher w = s.closed ? null : s.watchers.remove(id);
      if (w == null) {
        return;
      }
      detach(w);
      s.enqueue(Responses.canceled(id, notifiedRev));
    } finally {
      lock.unlock();
    }
  }

  /**
   * etcd ≥ 3.4.31 / 3.5.13 RequestProgress: one {@code watch_id=-1} reply at the current revision if
   * every watcher of the stream is synced and started at or before it; else nothing (#17507, #20221).
   */
  void requestProgress(WatchStream s) {
    lock.lock();
    try {
      if (s.closed || s.watchers.size() == 0 || !s.hasRoom()) {
        return;
      }
      boolean[] allSynced = {true};
      s.watchers.forEach(w -> allSynced[0] &= w.state == Watcher.SYNCED && w.startRev <= notifiedRev);
      if (allSynced[0]) {
        s.enqueue(Responses.progress(-1, notifiedRev));
      }
    } finally {
      lock.unlock();
    }
  }

  void closeStream(WatchStream s) {
    lock.lock();
    try {
      if (s.closed) {
        return;
      }
      s.closed = true;
      s.watchers.forEach(this::detach);
      s.victims.clear();
      if (s.ticker != null) {
        s.ticker.cancel(false);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes a watcher out of whatever group holds it; it gets nothing more. */
  private void detach(Watcher w) {
    if (w.state == Watcher.SYNCED) {
      removeSynced(w);
    }
    w.state = Watcher.CANCELED; // an unsynced one is dropped when the sync thread meets it
    w.parked = null;
    watcherCount--;
  }

  // ---- victims and catch-up ----

  /** A send thread freed room in {@code s}, which has victims or unsynced watchers waiting. */
  void onDrained(WatchStream s) {
    lock.lock();
    try {
      s.clearNeedsRoom();
      for (Iterator<Watcher> it = s.victims.iterator(); it.hasNext(); ) {
        Watcher w = it.next();
        if (w.state != Watcher.VICTIM) {
          it.remove();
          continue;
        }
        if (!s.hasRoomOrMark()) {
          break;
        }
        it.remove();
        s.enqueue(w, w.parked);
        w.parked = null;
        if (w.minRev > notifiedRev) {
          addSynced(w);
        } else {
          makeUnsynced(w);
        }
      }
      wakeSyncLocked(); // unsynced watchers of this stream may have been skipped for lack of room
    } finally {
      lock.unlock();
    }
  }

  void addSynced(Watcher w) {
    w.state = Watcher.SYNCED;
    if (w.end == null) {
      exact.add(w);
    } else {
      ranges.add(w);
    }
    syncedCount++;
  }

  private void removeSynced(Watcher w) {
    if (w.end == null) {
      exact.remove(w);
    } else {
      ranges.remove(w);
    }
    syncedCount--;
  }

  void makeUnsynced(Watcher w) {
    w.state = Watcher.UNSYNCED;
    unsynced.add(w);
    wakeSyncLocked();
  }

  void wakeSyncLocked() {
    wakePending = true;
    syncWake.signal();
  }

  private void syncLoop() {
    while (!closed) {
      boolean progressed = catchUp.pass();
      lock.lock();
      try {
        // etcd's syncWatchersLoop: 100 ms between idle passes, at once after a productive one.
        if (!progressed && !wakePending && !closed) {
          syncWake.await(100, TimeUnit.MILLISECONDS);
        }
        wakePending = false;
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  // ---- progress_notify ----

  private void scheduleTick(WatchStream s) {
    long interval = options.progressNotifyInterval().toMillis();
    long jitter = ThreadLocalRandom.current().nextLong(interval / 10 + 1); // etcd adds up to 10%
    try {
      s.ticker = scheduler.schedule(() -> progressTick(s), interval + jitter, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException hubClosed) {
      s.ticker = null;
    }
  }

  /** etcd's sendLoop ticker: progress for each progress_notify watcher that got no event since. */
  private void progressTick(WatchStream s) {
    lock.lock();
    try {
      if (s.closed || closed) {
        return;
      }
      s.watchers.forEach(w -> {
        if (!w.has(Watcher.PROGRESS_NOTIFY)) {
          return;
        }
        if (w.eventSinceTick) {
          w.eventSinceTick = false;
        } else if (w.state == Watcher.SYNCED && w.startRev <= notifiedRev && s.hasRoom()) {
          s.enqueue(Responses.progress(w.id, notifiedRev));
        }
      });
      scheduleTick(s);
    } finally {
      lock.unlock();
    }
  }

  private static ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
