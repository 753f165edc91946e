package dev.strata.server.watch;

import java.util.Arrays;
import java.util.HashMap;
import java.util.function.Consumer;

/**
 * Synced single-key watchers by exact key (etcd's {@code watcherSetByKey}). Guarded by the hub lock.
 */
final class KeyTable {

  /** A user key as a hash key; the array is owned by the watchers and never modified. */
  private record Key(byte[] bytes, int hash) {
    static Key of(byte[] b) {
      return new Key(b, Arrays.hashCode(b));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private final HashMap<Key, Object> map = new HashMap<>();

  void add(Watcher w) {
    Key k = Key.of(w.key);
    Object slot = map.get(k);
    if (slot != null) {
      w.key = WatcherSet.any(slot).key; // one array per distinct key
    }
    map.put(k, WatcherSet.add(slot, w));
  }

  void remove(Watcher w) {
    Key k = Key.of(w.key);
    Object slot = WatcherSet.remove(map.get(k), w);
    if (slot == null) {
      map.remove(k);
    } else {
      map.put(k, slot);
    }
  }

  void forEachMatch(byte[] key, Consumer<Watcher> f) {
    Object slot = map.get(Key.of(key));
    if (slot != null) {
      WatcherSet.forEach(slot, f);
    }
  }

  /** Every watcher in the table; {@code f} must not change the table. */
  void forEach(Consumer<Watcher> f) {
    map.values().forEach(slot -> WatcherSet.forEach(slot, f));
  }

  int keys() {
    return map.size();
  }
}
