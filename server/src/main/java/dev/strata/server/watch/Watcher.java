package dev.strata.server.watch;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchResponse;
import java.util.Arrays;

/**
 * One watch: its range, options and where it stands. Kept small on purpose (about 64 bytes plus the
 * key arrays, which are shared between watchers of the same key or range): a member may hold a
 * million of them.
 *
 * <p>Thread rules: every mutable field is guarded by the {@link WatchHub} lock.
 */
final class Watcher {

  /** Receives live events from the apply thread. */
  static final byte SYNCED = 1;
  /** Behind the store: caught up from history by the sync thread. */
  static final byte UNSYNCED = 2;
  /** Its stream was full at a live event: the response is parked until the stream drains. */
  static final byte VICTIM = 3;
  /** Cancelled by a compaction; the id stays taken until the client cancels it (etcd). */
  static final byte COMPACTED = 4;
  /** Cancelled by the client or the stream's end: gets nothing more. */
  static final byte CANCELED = 5;

  static final byte NO_PUT = 1;
  static final byte NO_DELETE = 2;
  static final byte PREV_KV = 4;
  static final byte FRAGMENT = 8;
  static final byte PROGRESS_NOTIFY = 16;

  final long id;
  final WatchStream stream;
  /** The first key; may be swapped for an equal array shared with other watchers (interning). */
  byte[] key;
  /** Null: the single key; empty: every key ≥ key; else the exclusive end. Shared like key. */
  byte[] end;
  /** start_revision as requested (0: none), for the progress rules. */
  final long startRev;
  /** The next revision this watcher must see. */
  long minRev;
  /** A victim's parked response. */
  WatchResponse parked;
  final byte flags;
  byte state;
  /** An event response was queued since the last progress tick (etcd's per-watcher progress map). */
  boolean eventSinceTick;

  Watcher(long id, WatchStream stream, byte[] key, byte[] end, long startRev, byte flags) {
    this.id = id;
    this.stream = stream;
    this.key = key;
    this.end = end;
    this.startRev = startRev;
    this.flags = flags;
  }

  boolean has(byte flag) {
    return (flags & flag) != 0;
  }

  boolean matches(byte[] k) {
    if (end == null) {
      return Arrays.equals(key, k);
    }
    return Arrays.compareUnsigned(key, k) <= 0 && (end.length == 0 || Arrays.compareUnsigned(k, end) < 0);
  }

  /** False if this watcher's filters drop {@code ev}. */
  boolean wants(Event ev) {
    return ev.getType() == Event.EventType.PUT ? !has(NO_PUT) : !has(NO_DELETE);
  }
}
