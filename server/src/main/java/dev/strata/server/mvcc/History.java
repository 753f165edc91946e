package dev.strata.server.mvcc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Reads KEY bucket entries of a revision range as watch events (etcd's {@code syncWatchers} range
 * read plus {@code kvsToEvents}). Runs without the store lock over a read view and a copy of the read
 * buffer taken together under it, so the apply thread is not held up by a long catch-up.
 */
final class History {

  private History() {}

  /**
   * Merges the committed entries in {@code [from, to)} with the buffered ones (buffer wins; a null
   * buffered value is an entry deleted by compaction) and stops at the first revision boundary after
   * {@code maxEntries} entries.
   *
   * @param toRev the last revision asked for; {@code to} is the key prefix of {@code toRev + 1}
   */
  static HistoryChunk read(ReadView view, NavigableMap<ByteKey, byte[]> buffered, byte[] from,
      byte[] to, long toRev, int maxEntries) {
    List<Event> out = new ArrayList<>();
    Iterator<Map.Entry<ByteKey, byte[]>> bufIt = buffered.entrySet().iterator();
    Map.Entry<ByteKey, byte[]> buf = bufIt.hasNext() ? bufIt.next() : null;
    try (Cursor c = view.cursor(Bucket.KEY, from, to)) {
      byte[] ck = c.next() ? c.key() : null;
      long lastMain = -1;
      while (ck != null || buf != null) {
        byte[] key;
        byte[] value;
        int cmp = ck == null ? 1 : buf == null ? -1 : ByteKey.wrap(ck).compareTo(buf.getKey());
        if (cmp < 0) {
          key = ck;
          value = c.value();
          ck = c.next() ? c.key() : null;
        } else {
          key = buf.getKey().bytes();
          value = buf.getValue();
          buf = bufIt.hasNext() ? bufIt.next() : null;
          if (cmp == 0) {
            ck = c.next() ? c.key() : null;
          }
        }
        if (value == null) {
          continue;
        }
        long main = Revision.getLong(key, 0);
        if (out.size() >= maxEntries && main != lastMain) {
          return new HistoryChunk(-1, Collections.unmodifiableList(out), main - 1);
        }
        lastMain = main;
        out.add(toEvent(key, value, main));
      }
    }
    return new HistoryChunk(-1, Collections.unmodifiableList(out), toRev);
  }

  private static Event toEvent(byte[] revKey, byte[] value, long main) {
    KeyValue kv;
    try {
      kv = KeyValue.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("KEY bucket entry " + Revision.fromBytes(revKey)
          + " is not a KeyValue", e);
    }
    if (Revision.isTombstone(revKey)) {
      // etcd stores a tombstone as a kv with only the key and sets mod_revision on the event.
      return Event.newBuilder().setType(Event.EventType.DELETE)
          .setKv(KeyValue.newBuilder().setKey(kv.getKey()).setModRevision(main)).build();
    }
    return Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build();
  }
}
