package dev.strata.server.watch;

import java.util.function.Consumer;

/**
 * A stream's watchers by watch id: open addressing with linear probing over primitive longs, about a
 * third of the memory of {@code HashMap<Long, Watcher>}. Not thread-safe (hub lock).
 */
final class LongMap {

  private long[] keys = new long[4];
  private Watcher[] vals = new Watcher[4];
  private int size;

  int size() {
    return size;
  }

  Watcher get(long k) {
    int mask = keys.length - 1;
    for (int i = slot(k, mask); vals[i] != null; i = (i + 1) & mask) {
      if (keys[i] == k) {
        return vals[i];
      }
    }
    return null;
  }

  void put(long k, Watcher v) {
    if ((size + 1) * 4 > keys.length * 3) {
      resize(keys.length * 2);
    }
    int mask = keys.length - 1;
    int i = slot(k, mask);
    while (vals[i] != null && keys[i] != k) {
      i = (i + 1) & mask;
    }
    if (vals[i] == null) {
      size++;
    }
    keys[i] = k;
    vals[i] = v;
  }

  /** Removes and returns the value of {@code k}, or null. Backward-shift deletion: no tombstones. */
  Watcher remove(long k) {
    int mask = keys.length - 1;
    int i = slot(k, mask);
    while (vals[i] != null && keys[i] != k) {
      i = (i + 1) & mask;
    }
    Watcher old = vals[i];
    if (old == null) {
      return null;
    }
    vals[i] = null;
    size--;
    for (int j = (i + 1) & mask; vals[j] != null; j = (j + 1) & mask) {
      int home = slot(keys[j], mask);
      // Move j back into the hole at i unless its home lies cyclically in (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j];
        vals[i] = vals[j];
        vals[j] = null;
        i = j;
      }
    }
    return old;
  }

  void forEach(Consumer<Watcher> f) {
    for (Watcher w : vals.clone()) { // a copy: callers may remove while iterating
      if (w != null) {
        f.accept(w);
      }
    }
  }

  private void resize(int cap) {
    long[] ok = keys;
    Watcher[] ov = vals;
    keys = new long[cap];
    vals = new Watcher[cap];
    size = 0;
    for (int i = 0; i < ok.length; i++) {
      if (ov[i] != null) {
        put(ok[i], ov[i]);
      }
    }
  }

  private static int slot(long k, int mask) {
    long h = k * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
