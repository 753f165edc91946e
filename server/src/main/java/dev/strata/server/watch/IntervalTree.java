package dev.strata.server.watch;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Synced range watchers by interval {@code [start, end)} (etcd's {@code adt.IntervalTree} in
 * {@code watcherGroup.ranges}): a treap ordered by (start, end), each node augmented with the largest
 * end in its subtree so a stabbing query skips subtrees that end at or before the key. An empty end
 * means "no upper bound". Watchers of an identical interval share one node and its key arrays.
 *
 * <p>Expected depth is O(log n); the recursion is therefore shallow (about 60 levels at 1M nodes).
 * Not thread-safe (hub lock).
 */
final class IntervalTree {

  private static final class Node {
    final byte[] start;
    final byte[] end;
    final int prio;
    byte[] maxEnd;
    Node left;
    Node right;
    Object watchers;

    Node(byte[] start, byte[] end, int prio, Watcher w) {
      this.start = start;
      this.end = end;
      this.prio = prio;
      this.maxEnd = end;
      this.watchers = w;
    }
  }

  private Node root;
  private int nodes;
  private int seed = 0x2545F491;

  void add(Watcher w) {
    Node n = find(w.key, w.end);
    if (n != null) {
      w.key = n.start;
      w.end = n.end;
      n.watchers = WatcherSet.add(n.watchers, w);
      return;
    }
    root = insert(root, new Node(w.key, w.end, nextPrio(), w));
    nodes++;
  }

  void remove(Watcher w) {
    Node n = find(w.key, w.end);
    if (n == null) {
      return;
    }
    n.watchers = WatcherSet.remove(n.watchers, w);
    if (n.watchers == null) {
      root = delete(root, n.start, n.end);
      nodes--;
    }
  }

  /** Calls {@code f} for every watcher whose interval contains {@code key}. */
  void stab(byte[] key, Consumer<Watcher> f) {
    stab(root, key, f);
  }

  int intervals() {
    return nodes;
  }

  /** Every watcher in the tree; {@code f} must not change the tree. */
  void forEach(Consumer<Watcher> f) {
    forEach(root, f);
  }

  private static void forEach(Node t, Consumer<Watcher> f) {
    while (t != null) {
      forEach(t.left, f);
      WatcherSet.forEach(t.watchers, f);
      t = t.right;
    }
  }

  private static void stab(Node t, byte[] key, Consumer<Watcher> f) {
    while (t != null && endsAfter(t.maxEnd, key)) {
      stab(t.left, key, f);
      if (Arrays.compareUnsigned(t.start, key) > 0) {
        return; // this node and its right subtree start after the key
      }
      if (endsAfter(t.end, key)) {
        WatcherSet.forEach(t.watchers, f);
      }
      t = t.right;
    }
  }

  private Node find(byte[] start, byte[] end) {
    Node t = root;
    while (t != null) {
      int c = compare(start, end, t);
      if (c == 0) {
        return t;
      }
      t = c < 0 ? t.left : t.right;
    }
    return null;
  }

  private static Node insert(Node t, Node n) {
    if (t == null) {
      return n;
    }
    if (n.prio > t.prio) {
      Node[] lr = split(t, n.start, n.end);
      n.left = lr[0];
      n.right = lr[1];
      return update(n);
    }
    if (compare(n.start, n.end, t) < 0) {
      t.left = insert(t.left, n);
    } else {
      t.right = insert(t.right, n);
    }
    return update(t);
  }

  /** Splits {@code t} into the nodes ordered before (start, end) and those after it. */
  private static Node[] split(Node t, byte[] start, byte[] end) {
    if (t == null) {
      return new Node[2];
    }
    if (compare(start, end, t) > 0) {
      Node[] lr = split(t.right, start, end);
      t.right = lr[0];
      lr[0] = update(t);
      return lr;
    }
    Node[] lr = split(t.left, start, end);
    t.left = lr[1];
    lr[1] = update(t);
    return lr;
  }

  private static Node delete(Node t, byte[] start, byte[] end) {
    if (t == null) {
      return null;
    }
    int c = compare(start, end, t);
    if (c == 0) {
      return merge(t.left, t.right);
    }
    if (c < 0) {
      t.left = delete(t.left, start, end);
    } else {
      t.right = delete(t.right, start, end);
    }
    return update(t);
  }

  private static Node merge(Node a, Node b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    if (a.prio > b.prio) {
      a.right = merge(a.right, b);
      return update(a);
    }
    b.left = merge(a, b.left);
    return update(b);
  }

  private static Node update(Node n) {
    byte[] m = n.end;
    if (n.left != null && compareEnds(n.left.maxEnd, m) > 0) {
      m = n.left.maxEnd;
    }
    if (n.right != null && compareEnds(n.right.maxEnd, m) > 0) {
      m = n.right.maxEnd;
    }
    n.maxEnd = m;
    return n;
  }

  private static int compare(byte[] start, byte[] end, Node t) {
    int c = Arrays.compareUnsigned(start, t.start);
    return c != 0 ? c : compareEnds(end, t.end);
  }

  /** Orders ends with the empty (unbounded) end last. */
  private static int compareEnds(byte[] a, byte[] b) {
    if (a.length == 0 || b.length == 0) {
      return Boolean.compare(a.length == 0, b.length == 0);
    }
    return Arrays.compareUnsigned(a, b);
  }

  private static boolean endsAfter(byte[] end, byte[] key) {
    return end.length == 0 || Arrays.compareUnsigned(key, end) < 0;
  }

  private int nextPrio() {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed;
  }
}
