package dev.strata.server.watch;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The watchers of one index slot (a key or an interval), stored as {@code null}, a single
 * {@link Watcher} or a {@code WatcherSet}: most slots hold one watcher, which then costs no extra
 * object. Guarded by the hub lock.
 */
final class WatcherSet {

  private Watcher[] items;
  private int size;

  private WatcherSet(Watcher a, Watcher b) {
    items = new Watcher[] {a, b, null, null};
    size = 2;
  }

  /** The slot with {@code w} added. */
  static Object add(Object slot, Watcher w) {
    if (slot == null) {
      return w;
    }
    if (slot instanceof Watcher single) {
      return new WatcherSet(single, w);
    }
    WatcherSet set = (WatcherSet) slot;
    if (set.size == set.items.length) {
      set.items = Arrays.copyOf(set.items, set.size * 2);
    }
    set.items[set.size++] = w;
    return set;
  }

  /** The slot with {@code w} removed (null once empty). */
  static Object remove(Object slot, Watcher w) {
    if (slot == w) {
      return null;
    }
    if (!(slot instanceof WatcherSet set)) {
      return slot;
    }
    for (int i = 0; i < set.size; i++) {
      if (set.items[i] == w) {
        set.items[i] = set.items[--set.size];
        set.items[set.size] = null;
        break;
      }
    }
    if (set.size == 1) {
      return set.items[0];
    }
    if (set.size * 4 < set.items.length && set.items.length > 4) {
      set.items = Arrays.copyOf(set.items, set.items.length / 2);
    }
    return set;
  }

  static void forEach(Object slot, Consumer<Watcher> f) {
    if (slot instanceof Watcher w) {
      f.accept(w);
    } else if (slot instanceof WatcherSet set) {
      for (int i = 0; i < set.size; i++) {
        f.accept(set.items[i]);
      }
    }
  }

  /** Any watcher of the slot, to share its key arrays with a new one. */
  static Watcher any(Object slot) {
    return slot instanceof WatcherSet set ? set.items[0] : (Watcher) slot;
  }
}
