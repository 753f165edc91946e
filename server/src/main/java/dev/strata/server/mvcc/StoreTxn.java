package dev.strata.server.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One read or write transaction over the MVCC store at a fixed starting revision: etcd's
 * {@code storeTxnRead}/{@code storeTxnWrite} ({@code kvstore_txn.go}). A write transaction gives every
 * change the main revision {@code beginRev + 1} and the next sub-revision; later reads in it see
 * earlier writes. Changes go to the key index at once (undone by {@link #rollback}) while their KEY
 * bucket entries are staged here until {@link #stageInto}.
 *
 * <p>Thread rules: created and used under the {@link MvccStore} lock (the write lock if writable),
 * by one thread, for one request.
 */
final class StoreTxn {

  /** etcd's RangeResult: the KeyValues (at most the limit asked), the total count, the revision. */
  record RangeResult(List<KeyValue> kvs, int count, long rev) {}

  private final TreeIndex index;
  private final PendingWrites pending;
  private final LazyView view;
  private final long beginRev;
  private final long compactRev;
  private final boolean writable;

  private final List<TreeIndex.Undo> undo = new ArrayList<>();
  /** Staged KEY bucket entries in the order written: revision key → marshalled KeyValue. */
  private final Map<ByteKey, byte[]> staged = new LinkedHashMap<>();
  private int changes;
  /** The watch events of this transaction's changes, in sub-revision order; null if not recorded. */
  private List<Event> events;

  StoreTxn(TreeIndex index, PendingWrites pending, LazyView view, long beginRev, long compactRev,
      boolean writable) {
    this.index = index;
    this.pending = pending;
    this.view = view;
    this.beginRev = beginRev;
    this.compactRev = compactRev;
    this.writable = writable;
  }

  /** The store revision when the transaction started. */
  long rev() {
    return beginRev;
  }

  /** The compaction revision when the transaction started: reads below it fail. */
  long firstRev() {
    return compactRev;
  }

  /** Makes this transaction collect the watch events of its changes ({@link #events}). */
  void recordEvents() {
    events = new ArrayList<>();
  }

  /** The events of the changes made so far, in sub-revision order; null unless recorded. */
  List<Event> events() {
    return events;
  }

  /** Number of changes (puts and deletions) made so far. */
  int changes() {
    return changes;
  }

  /**
   * Reads {@code [key, end)} at {@code reqRev} (≤ 0: current), like etcd's {@code rangeKeys}. The
   * current revision is {@code beginRev}, or {@code beginRev + 1} once this transaction changed
   * something; a future revision is reported before a compacted one.
   *
   * @param end null for the single key, empty for every key ≥ key
   * @param limit at most this many KeyValues (≤ 0: all); the count ignores it
   */
  RangeResult range(ByteKey key, ByteKey end, long reqRev, int limit, boolean countOnly) {
    long curRev = changes > 0 ? beginRev + 1 : beginRev;
    if (reqRev > curRev) {
      throw EtcdError.FUTURE_REV.exception();
    }
    long rev = reqRev <= 0 ? curRev : reqRev;
    if (rev < compactRev) {
      throw EtcdError.COMPACTED.exception();
    }
    if (countOnly) {
      return new RangeResult(List.of(), index.count(key, end, rev), curRev);
    }
    List<TreeIndex.KeyRev> revs = new ArrayList<>();
    int total = index.revisions(key, end, rev, limit, revs);
    List<KeyValue> kvs = new ArrayList<>(revs.size());
    for (TreeIndex.KeyRev kr : revs) {
      kvs.add(load(kr.rev()));
    }
    return new RangeResult(Collections.unmodifiableList(kvs), total, curRev);
  }

  /** Writes {@code key} at the transaction's revision; returns that revision (etcd's {@code put}). */
  long put(ByteString key, ByteString value, long lease) {
    checkWritable();
    long rev = beginRev + 1;
    ByteKey k = ByteKey.of(key);
    long created = rev;
    long ver = 0;
    KeyIndex.Hit hit = index.get(k, rev);
    if (hit != null) {
      created = hit.created().main();
      ver = hit.version();
    }
    Revision idxRev = new Revision(rev, changes);
    KeyValue kv = KeyValue.newBuilder()
        .setKey(key)
        .setValue(value)
        .setCreateRevision(created)
        .setModRevision(rev)
        .setVersion(ver + 1)
        .setLease(lease)
        .build();
    staged.put(ByteKey.wrap(idxRev.toBytes()), kv.toByteArray());
    undo.add(index.put(k, idxRev));
    if (events != null) {
      events.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build());
    }
    changes++;
    return rev;
  }

  /**
   * Deletes the keys alive in {@code [key, end)} (etcd's {@code DeleteRange}).
   *
   * @return {deleted, revision}: the revision is {@code beginRev + 1} if this or an earlier operation
   *     of the transaction changed something, else {@code beginRev}
   */
  long[] deleteRange(ByteKey key, ByteKey end) {
    checkWritable();
    long rrev = changes > 0 ? beginRev + 1 : beginRev;
    List<TreeIndex.KeyRev> keys = new ArrayList<>();
    index.revisions(key, end, rrev, 0, keys);
    for (TreeIndex.KeyRev kr : keys) {
      delete(kr.key());
    }
    long n = keys.size();
    return new long[] {n, n != 0 || changes > 0 ? beginRev + 1 : beginRev};
  }

  private void delete(ByteKey key) {
    Revision idxRev = new Revision(beginRev + 1, changes);
    byte[] value = KeyValue.newBuilder().setKey(ByteString.copyFrom(key.bytes())).build().toByteArray();
    staged.put(ByteKey.wrap(idxRev.toKey(true)), value);
    TreeIndex.Undo u = index.tombstone(key, idxRev);
    if (u == null) {
      throw new IllegalStateException("key index lost key " + key + " while deleting it");
    }
    undo.add(u);
    if (events != null) {
      // etcd's tombstone event: the stored kv (key only) plus the deleting revision.
      events.add(Event.newBuilder().setType(Event.EventType.DELETE).setKv(KeyValue.newBuilder()
          .setKey(ByteString.copyFrom(key.bytes())).setModRevision(idxRev.main())).build());
    }
    changes++;
  }

  /** Moves the staged KEY bucket entries into the pending batch; the transaction is then done. */
  void stageInto(PendingWrites target) {
    staged.forEach((k, v) -> target.putKey(k.bytes(), v));
    staged.clear();
    undo.clear();
  }

  /** Reverts every index change of this transaction and drops the staged entries. */
  void rollback() {
    for (int i = undo.size() - 1; i >= 0; i--) {
      index.undo(undo.get(i));
    }
    undo.clear();
    staged.clear();
    if (events != null) {
      events.clear();
    }
    changes = 0;
  }

  private KeyValue load(Revision rev) {
    byte[] revKey = rev.toBytes();
    byte[] v = staged.get(ByteKey.wrap(revKey));
    if (v == null) {
      v = pending.getKey(revKey, view);
    }
    if (v == null) {
      // etcd treats this as fatal ("range failed to find revision pair"): the index and the
      // backend disagree, so nothing read from this member can be trusted.
      throw new IllegalStateException("KEY bucket has no entry for revision " + rev
          + " that the key index points to");
    }
    try {
      return KeyValue.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("KEY bucket entry " + rev + " is not a KeyValue", e);
    }
  }

  private void checkWritable() {
    if (!writable) {
      throw new IllegalStateException("write in a read-only transaction");
    }
  }
}
