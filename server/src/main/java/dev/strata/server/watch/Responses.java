package dev.strata.server.watch;

import com.google.protobuf.CodedOutputStream;
import dev.strata.server.EtcdException;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchResponse;
import java.util.List;
import java.util.function.Consumer;

/** Builds watch responses and does the send-time work: prev_kv lookup and fragmentation. */
final class Responses {

  private Responses() {}

  /** An event response; the header carries only the revision until the send thread fills it. */
  static WatchResponse events(long watchId, ResponseHeader revOnly, List<Event> events) {
    return WatchResponse.newBuilder().setHeader(revOnly).setWatchId(watchId).addAllEvents(events).build();
  }

  static WatchResponse created(long watchId, long rev) {
    return WatchResponse.newBuilder().setHeader(revision(rev)).setWatchId(watchId).setCreated(true).build();
  }

  /** A rejected create: etcd answers with watch_id -1, created and canceled, and the reason. */
  static WatchResponse rejected(long rev, String reason) {
    return WatchResponse.newBuilder().setHeader(revision(rev)).setWatchId(-1).setCreated(true)
        .setCanceled(true).setCancelReason(reason).build();
  }

  static WatchResponse canceled(long watchId, long rev) {
    return WatchResponse.newBuilder().setHeader(revision(rev)).setWatchId(watchId).setCanceled(true).build();
  }

  /** etcd's compaction cancel: header revision 0, compact_revision set, no reason. */
  static WatchResponse compacted(long watchId, long compactRev) {
    return WatchResponse.newBuilder().setHeader(revision(0)).setWatchId(watchId).setCanceled(true)
        .setCompactRevision(compactRev).build();
  }

  /** A progress reply: no events; watch_id -1 answers a RequestProgress. */
  static WatchResponse progress(long watchId, long rev) {
    return WatchResponse.newBuilder().setHeader(revision(rev)).setWatchId(watchId).build();
  }

  static ResponseHeader revision(long rev) {
    return ResponseHeader.newBuilder().setRevision(rev).build();
  }

  /**
   * Adds prev_kv to each event: the key's value at {@code mod_revision - 1}, read now (as etcd does at
   * send time); left out for creations and when that revision has been compacted.
   */
  static WatchResponse withPrevKv(WatchResponse r, MvccStore store) {
    WatchResponse.Builder b = r.toBuilder().clearEvents();
    for (Event ev : r.getEventsList()) {
      KeyValue kv = ev.getKv();
      boolean creation = ev.getType() == Event.EventType.PUT && kv.getCreateRevision() == kv.getModRevision();
      KeyValue prev = creation ? null : previous(store, kv);
      b.addEvents(prev == null ? ev : ev.toBuilder().setPrevKv(prev).build());
    }
    return b.build();
  }

  private static KeyValue previous(MvccStore store, KeyValue kv) {
    try {
      List<KeyValue> kvs = store.range(RangeRequest.newBuilder().setKey(kv.getKey())
          .setRevision(kv.getModRevision() - 1).build()).getKvsList();
      return kvs.isEmpty() ? null : kvs.get(0);
    } catch (EtcdException compactedMeanwhile) {
      return null;
    }
  }

  /**
   * Sends {@code r} whole, or, if it has 2+ events and is at least {@code maxBytes}, in pieces filled
   * greedily (each under the limit unless it holds a single event), {@code fragment=true} on all but
   * the last: etcd's {@code sendFragments} ({@code v3rpc/watch.go}).
   */
  static void sendFragmented(WatchResponse r, int maxBytes, Consumer<WatchResponse> send) {
    int n = r.getEventsCount();
    if (n < 2 || r.getSerializedSize() < maxBytes) {
      send.accept(r);
      return;
    }
    WatchResponse.Builder base = r.toBuilder().clearEvents();
    int baseSize = WireFields.markFragment(base.clone()).build().getSerializedSize();
    int i = 0;
    while (i < n) {
      WatchResponse.Builder piece = base.clone();
      long size = baseSize;
      int taken = 0;
      while (i < n) {
        Event ev = r.getEvents(i);
        int evSize = CodedOutputStream.computeMessageSize(WatchResponse.EVENTS_FIELD_NUMBER, ev);
        if (taken > 0 && size + evSize >= maxBytes) {
          break;
        }
        piece.addEvents(ev);
        size += evSize;
        taken++;
        i++;
      }
      send.accept(i < n ? WireFields.markFragment(piece).build() : piece.build());
    }
  }
}
