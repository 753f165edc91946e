package dev.strata.server.watch;

import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client watch stream (one gRPC Watch call), independent of gRPC: takes {@link WatchRequest}s,
 * emits {@link WatchResponse}s to a {@link WatchSink}. Like etcd's {@code serverWatchStream}, every
 * watcher of the stream shares one bounded queue of responses; a send thread drains it into the sink
 * while the sink is ready, reading prev_kv and splitting fragments on the way. Nothing here ever
 * blocks the apply thread: a full queue turns live watchers into victims (see {@link WatchHub}).
 *
 * <p>Thread rules: {@link #handle} from the transport's inbound thread (one at a time); fields marked
 * "hub lock" are guarded by the hub's lock; the queue by this object's monitor; {@link #drain} runs on
 * one send thread at a time.
 */
public final class WatchStream implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WatchStream.class);

  /** A queued response and the send-time work its watcher asked for. */
  private record Out(WatchResponse response, boolean prevKv, boolean fragment) {}

  private final WatchHub hub;
  private final WatchSink sink;
  private final HeaderFiller headers;
  private final int capacity;

  // hub lock
  final LongMap watchers = new LongMap();
  long nextAutoId;
  final ArrayList<Watcher> victims = new ArrayList<>(0);
  ScheduledFuture<?> ticker;
  boolean closed;

  // this object's monitor
  private final ArrayDeque<Out> queue = new ArrayDeque<>();
  /** Victims wait, or catch-up skipped this stream for lack of room: tell the hub when it drains. */
  private volatile boolean needsRoom;

  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile boolean dead;

  WatchStream(WatchHub hub, WatchSink sink, HeaderFiller headers) {
    this.hub = hub;
    this.sink = sink;
    this.headers = headers;
    this.capacity = hub.options.streamQueueCapacity();
    sink.setOnReady(this::scheduleDrain);
  }

  /** Handles one client request: create, cancel or progress; anything else is ignored (etcd). */
  public void handle(WatchRequest request) {
    switch (request.getRequestUnionCase()) {
      case CREATE_REQUEST -> hub.create(this, request.getCreateRequest());
      case CANCEL_REQUEST -> hub.cancel(this, request.getCancelRequest().getWatchId());
      case PROGRESS_REQUEST -> hub.requestProgress(this);
      default -> { }
    }
  }

  /** Ends the stream: cancels its watchers and drops what is queued. Idempotent. */
  @Override
  public void close() {
    if (dead) {
      return;
    }
    dead = true;
    hub.closeStream(this);
    synchronized (this) {
      queue.clear();
    }
  }

  /** Responses queued and not yet sent (for tests and metrics). */
  public synchronized int queued() {
    return queue.size();
  }

  // ---- called by the hub, under its lock ----

  /** True if the queue has room for an event response; else marks the stream as waiting for room. */
  synchronized boolean hasRoomOrMark() {
    if (queue.size() < capacity) {
      return true;
    }
    needsRoom = true; // in the monitor: the drain that frees room is sure to see it
    return false;
  }

  synchronized boolean hasRoom() {
    return queue.size() < capacity;
  }

  synchronized void clearNeedsRoom() {
    needsRoom = false;
  }

  boolean needsRoom() {
    return needsRoom;
  }

  /** Queues an event response of {@code w}. */
  void enqueue(Watcher w, WatchResponse r) {
    w.eventSinceTick = true;
    add(new Out(r, w.has(Watcher.PREV_KV), w.has(Watcher.FRAGMENT)));
  }

  /** Queues a control or progress response; never refused (etcd's separate control channel). */
  void enqueue(WatchResponse r) {
    add(new Out(r, false, false));
  }

  private void add(Out o) {
    if (dead) {
      return;
    }
    synchronized (this) {
      queue.add(o);
    }
    scheduleDrain();
  }

  // ---- sending ----

  private void scheduleDrain() {
    if (!dead && draining.compareAndSet(false, true)) {
      try {
        hub.sendPool.execute(this::drain);
      } catch (RejectedExecutionException hubClosed) {
        draining.set(false);
      }
    }
  }

  private void drain() {
    boolean sent = false;
    try {
      while (!dead && sink.isReady()) {
        Out o;
        synchronized (this) {
          o = queue.poll();
        }
        if (o == null) {
          break;
        }
        send(o);
        sent = true;
      }
    } catch (RuntimeException e) {
      // The transport is gone (call cancelled or closed): nothing more can reach this client.
      LOG.debug("watch stream send failed, closing it: error=\"{}\"", e.toString());
      draining.set(false);
      close();
      return;
    }
    draining.set(false);
    if (sent && needsRoom) {
      hub.onDrained(this);
    }
    boolean more;
    synchronized (this) {
      more = !queue.isEmpty();
    }
    if (more && sink.isReady()) {
      scheduleDrain(); // a response queued after the loop ended, or readiness came back meanwhile
    }
  }

  private void send(Out o) {
    WatchResponse r = o.response();
    if (o.prevKv() && r.getEventsCount() > 0) {
      r = Responses.withPrevKv(r, hub.store);
    }
    r = r.toBuilder().setHeader(headers.header(r.getHeader().getRevision())).build();
    if (o.fragment()) {
      Responses.sendFragmented(r, hub.options.maxResponseBytes(), sink::send);
    } else {
      sink.send(r);
    }
  }
}
