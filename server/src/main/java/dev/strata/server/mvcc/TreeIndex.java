package dev.strata.server.mvcc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The in-memory key index: user key → {@link KeyIndex}, ordered by unsigned bytes (etcd's
 * {@code index.go} treeIndex over a B-tree).
 *
 * <p>Point lookups go through a hash map beside the ordered tree: every put looks its key up before
 * writing it, and with check-perf-like keys (a long shared prefix, random suffix) the tree walk —
 * about 18 unsigned compares over cold key arrays at 200K keys — was the hottest frame on the apply
 * thread (docs/benchmarks.md). The tree still answers every ordered question; both always hold the
 * same entries.
 *
 * <p>Not thread-safe: {@link MvccStore} reads it under its read lock and changes it under its write
 * lock.
 */
final class TreeIndex {

  /** A key and the revision holding its value at the revision asked for. */
  record KeyRev(ByteKey key, Revision rev) {}

  /** One change made through this index, to revert it if the request fails half-way. */
  record Undo(ByteKey key, boolean tombstone, boolean createdKeyIndex, Revision previousModified) {}

  private final TreeMap<ByteKey, KeyIndex> tree = new TreeMap<>();
  private final HashMap<ByteKey, KeyIndex> byKey = new HashMap<>();

  /** Forgets every key (before a rebuild from a replaced backend). */
  void clear() {
    tree.clear();
    byKey.clear();
  }

  /** The state of {@code key} at {@code atRev}, or null if the key did not exist then. */
  KeyIndex.Hit get(ByteKey key, long atRev) {
    KeyIndex ki = byKey.get(key);
    return ki == null ? null : ki.get(atRev);
  }

  /**
   * The keys alive at {@code atRev} in {@code [key, end)} in key order. {@code end == null} means the
   * single key; an empty {@code end} means every key ≥ key.
   *
   * @param limit at most this many keys are returned (≤ 0: no limit); the total is still counted
   * @param out receives the keys (at most {@code limit})
   * @return the number of keys alive in the range, ignoring {@code limit}
   */
  int revisions(ByteKey key, ByteKey end, long atRev, int limit, List<KeyRev> out) {
    if (end == null) {
      KeyIndex.Hit hit = get(key, atRev);
      if (hit == null) {
        return 0;
      }
      out.add(new KeyRev(key, hit.modified()));
      return 1;
    }
    int total = 0;
    for (KeyIndex ki : span(key, end).values()) {
      KeyIndex.Hit hit = ki.get(atRev);
      if (hit != null) {
        if (limit <= 0 || out.size() < limit) {
          out.add(new KeyRev(ki.key(), hit.modified()));
        }
        total++;
      }
    }
    return total;
  }

  /** The number of keys alive at {@code atRev} in the range ({@link #revisions} bounds). */
  int count(ByteKey key, ByteKey end, long atRev) {
    if (end == null) {
      return get(key, atRev) == null ? 0 : 1;
    }
    int total = 0;
    for (KeyIndex ki : span(key, end).values()) {
      if (ki.get(atRev) != null) {
        total++;
      }
    }
    return total;
  }

  private NavigableMap<ByteKey, KeyIndex> span(ByteKey key, ByteKey end) {
    if (end.bytes().length == 0) {
      return tree.tailMap(key, true);
    }
    if (key.compareTo(end) >= 0) {
      return new TreeMap<>();
    }
    return tree.subMap(key, true, end, false);
  }

  /** Records a put of {@code key} at {@code rev}. */
  Undo put(ByteKey key, Revision rev) {
    KeyIndex ki = byKey.get(key);
    boolean created = ki == null;
    if (created) {
      ki = new KeyIndex(key);
      insert(ki);
    }
    Revision previous = ki.modified();
    ki.put(rev.main(), rev.sub());
    return new Undo(key, false, created, previous);
  }

  /** Records a deletion of {@code key} at {@code rev}; null, changing nothing, if it is not alive. */
  Undo tombstone(ByteKey key, Revision rev) {
    KeyIndex ki = byKey.get(key);
    if (ki == null) {
      return null;
    }
    Revision previous = ki.modified();
    return ki.tombstone(rev.main(), rev.sub()) ? new Undo(key, true, false, previous) : null;
  }

  /** Reverts one change returned by {@link #put} or {@link #tombstone}; undo in reverse order. */
  void undo(Undo u) {
    KeyIndex ki = byKey.get(u.key());
    if (u.tombstone()) {
      ki.undoTombstone(u.previousModified());
    } else {
      ki.undoPut(u.previousModified());
    }
    if (u.createdKeyIndex()) {
      tree.remove(u.key());
      byKey.remove(u.key());
    }
  }

  /** Used while rebuilding the index at startup: the key's index, or null if not seen yet. */
  KeyIndex keyIndex(ByteKey key) {
    return byKey.get(key);
  }

  /** Adds a key's index (new keys, and the rebuild at startup). */
  void insert(KeyIndex ki) {
    tree.put(ki.key(), ki);
    byKey.put(ki.key(), ki);
  }

  /**
   * Compacts every key at {@code rev} (see {@link KeyIndex#compact}) and drops keys left without
   * revisions.
   *
   * @return the revisions ≤ rev that remain (the KEY bucket entries physical compaction must keep)
   */
  Set<Revision> compact(long rev) {
    Set<Revision> available = new HashSet<>();
    for (Iterator<Map.Entry<ByteKey, KeyIndex>> it = tree.entrySet().iterator(); it.hasNext(); ) {
      KeyIndex ki = it.next().getValue();
      ki.compact(rev, available);
      if (ki.isEmpty()) {
        it.remove();
        byKey.remove(ki.key());
      }
    }
    return available;
  }

  /** The revisions ≤ rev a compaction at {@code rev} would keep, without changing anything. */
  Set<Revision> keep(long rev) {
    Set<Revision> available = new HashSet<>();
    for (KeyIndex ki : tree.values()) {
      ki.keep(rev, available);
    }
    return available;
  }

  /** Number of keys with an index entry (alive or with history not yet compacted). */
  int size() {
    return tree.size();
  }

  /** Every key index in key order; for tests and consistency checks. */
  List<KeyIndex> all() {
    return new ArrayList<>(tree.values());
  }
}
