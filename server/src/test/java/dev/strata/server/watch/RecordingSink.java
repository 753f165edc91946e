package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.fail;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A {@link WatchSink} that records every response. Like a gRPC call it can stop being ready: either
 * explicitly ({@link #setReady}) or, with a buffer limit, once that many responses are unread until the
 * test {@link #consume}s them, which then fires the on-ready callback as gRPC does.
 */
final class RecordingSink implements WatchSink {

  static final long TIMEOUT_MS = 30_000;

  private final List<WatchResponse> got = new ArrayList<>();
  private volatile int bufferLimit;
  private volatile boolean ready = true;
  private volatile Runnable onReady = () -> { };
  private int unread;

  RecordingSink() {
    this(0);
  }

  /** @param bufferLimit not ready while this many responses are unread; 0: no limit */
  RecordingSink(int bufferLimit) {
    this.bufferLimit = bufferLimit;
  }

  @Override
  public synchronized void send(WatchResponse response) {
    got.add(response);
    unread++;
    notifyAll();
  }

  @Override
  public boolean isReady() {
    if (!ready) {
      return false;
    }
    synchronized (this) {
      return bufferLimit <= 0 || unread < bufferLimit;
    }
  }

  @Override
  public void setOnReady(Runnable r) {
    onReady = r;
  }

  void setReady(boolean r) {
    ready = r;
    if (r) {
      onReady.run();
    }
  }

  /** The client reads {@code n} buffered responses, making room. */
  void consume(int n) {
    synchronized (this) {
      unread = Math.max(0, unread - n);
    }
    if (isReady()) {
      onReady.run();
    }
  }

  /** The client now reads everything at once: no more buffer limit. */
  void release() {
    bufferLimit = 0;
    setReady(true);
  }

  synchronized List<WatchResponse> all() {
    return new ArrayList<>(got);
  }

  /** Waits (on this sink's monitor, woken by each send) until {@code p} holds for the responses. */
  synchronized List<WatchResponse> await(Predicate<List<WatchResponse>> p, String what) {
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (!p.test(got)) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        fail("timed out waiting for " + what + "; got " + got.size() + " responses: " + brief(got));
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
    return new ArrayList<>(got);
  }

  List<WatchResponse> awaitCount(int n) {
    return await(l -> l.size() >= n, n + " responses");
  }

  /** Waits until watch {@code id} got events up to revision {@code rev}; returns its events. */
  List<Event> awaitEventsUpTo(long id, long rev) {
    return events(await(l -> lastEventRev(l, id) >= rev, "events of watch " + id + " up to " + rev), id);
  }

  static long lastEventRev(List<WatchResponse> rs, long id) {
    long last = 0;
    for (WatchResponse r : rs) {
      if (r.getWatchId() == id && r.getEventsCount() > 0) {
        last = r.getEvents(r.getEventsCount() - 1).getKv().getModRevision();
      }
    }
    return last;
  }

  static List<Event> events(List<WatchResponse> rs, long id) {
    List<Event> out = new ArrayList<>();
    for (WatchResponse r : rs) {
      if (r.getWatchId() == id) {
        out.addAll(r.getEventsList());
      }
    }
    return out;
  }

  static String brief(List<WatchResponse> rs) {
    StringBuilder b = new StringBuilder();
    for (WatchResponse r : rs.subList(Math.max(0, rs.size() - 20), rs.size())) {
      b.append("{id=").append(r.getWatchId()).append(" rev=").append(r.getHeader().getRevision());
      if (r.getCreated()) {
        b.append(" created");
      }
      if (r.getCanceled()) {
        b.append(" canceled ").append(r.getCancelReason()).append(" compact=").append(r.getCompactRevision());
      }
      b.append(" events=").append(r.getEventsCount()).append("} ");
    }
    return b.toString();
  }
}
