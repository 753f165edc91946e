package dev.strata.server.watch;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Seeded random writes through a {@link WatchHarness} — puts, deletes of live keys, prefix deletes,
 * multi-put txns — with the model's expected watch events ("rev:TYPE:key", in etcd's order: txn op
 * order, key order for range deletes).
 */
final class Workload {

  private final WatchHarness h;
  private final Random rnd;
  private final int keys;
  private final TreeSet<String> live = new TreeSet<>();
  private final List<String> expected = new ArrayList<>();
  long lastRev;

  Workload(WatchHarness h, long seed, int keys) {
    this.h = h;
    this.rnd = new Random(seed);
    this.keys = keys;
  }

  private String key() {
    int i = rnd.nextInt(keys);
    return (i % 3 == 0 ? "a/" : "b/") + String.format("%04d", i);
  }

  /** One write that creates a revision. */
  void step() {
    int op = rnd.nextInt(10);
    if (op < 5 || live.isEmpty()) {
      String k = key();
      record(h.put(k, "v" + rnd.nextInt(1000)), "PUT", k);
      live.add(k);
    } else if (op < 7) {
      String k = live.ceiling(key());
      k = k != null ? k : live.first();
      record(h.del(k), "DELETE", k);
      live.remove(k);
    } else if (op < 8 && !live.subSet("a/", "a0").isEmpty()) {
      List<String> gone = new ArrayList<>(live.subSet("a/", "a0"));
      long rev = h.delRange("a/", "a0");
      gone.forEach(k -> record(rev, "DELETE", k));
      live.removeAll(gone);
    } else {
      TreeSet<String> distinct = new TreeSet<>();
      int n = 2 + rnd.nextInt(3);
      while (distinct.size() < n) {
        distinct.add(key());
      }
      List<String> order = new ArrayList<>(distinct);
      java.util.Collections.shuffle(order, rnd);
      String[] kvs = new String[order.size() * 2];
      for (int i = 0; i < order.size(); i++) {
        kvs[2 * i] = order.get(i);
        kvs[2 * i + 1] = "t" + i;
      }
      long rev = h.txnPut(kvs);
      order.forEach(k -> record(rev, "PUT", k));
      live.addAll(order);
    }
  }

  private void record(long rev, String type, String key) {
    expected.add(rev + ":" + type + ":" + key);
    lastRev = rev;
  }

  /** Expected events with revision ≥ from whose key passes {@code keyFilter}. */
  List<String> expected(long from, Predicate<String> keyFilter) {
    return expected.stream().filter(e -> {
      String[] p = e.split(":", 3);
      return Long.parseLong(p[0]) >= from && keyFilter.test(p[2]);
    }).toList();
  }

  /** The last revision whose events pass {@code keyFilter}. */
  long lastRev(Predicate<String> keyFilter) {
    long last = 0;
    for (String e : expected) {
      String[] p = e.split(":", 3);
      if (keyFilter.test(p[2])) {
        last = Long.parseLong(p[0]);
      }
    }
    return last;
  }
}
