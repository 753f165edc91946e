package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The watcher indexes against brute force, under seeded random adds and removes. */
class IndexStructuresTest {

  private static byte[] key(Random rnd) {
    byte[] k = new byte[1 + rnd.nextInt(3)];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) "abc\0\u00ff".charAt(rnd.nextInt(5));
    }
    return k;
  }

  @Test
  void intervalTreeStabsLikeBruteForce() {
    long seed = WatchCatchUpTest.seed();
    Random rnd = new Random(seed);
    IntervalTree tree = new IntervalTree();
    List<Watcher> live = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      if (live.isEmpty() || rnd.nextInt(3) > 0) {
        byte[] a = key(rnd);
        byte[] end;
        if (rnd.nextInt(6) == 0) {
          end = new byte[0];
        } else {
          byte[] b = key(rnd);
          if (java.util.Arrays.compareUnsigned(a, b) >= 0) {
            continue;
          }
          end = b;
        }
        Watcher w = new Watcher(step, null, a, end, 0, (byte) 0);
        tree.add(w);
        live.add(w);
      } else {
        tree.remove(live.remove(rnd.nextInt(live.size())));
      }
      if (step % 50 == 0) {
        byte[] probe = key(rnd);
        Set<Watcher> got = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        tree.stab(probe, got::add);
        Set<Watcher> want = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        live.stream().filter(w -> w.matches(probe)).forEach(want::add);
        assertThat(got).as("step %d seed %d", step, seed).isEqualTo(want);
      }
    }
  }

  @Test
  void longMapBehavesLikeHashMap() {
    long seed = WatchCatchUpTest.seed();
    Random rnd = new Random(seed);
    LongMap map = new LongMap();
    Map<Long, Watcher> ref = new HashMap<>();
    for (int step = 0; step < 50_000; step++) {
      long k = rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(300) - 50;
      if (rnd.nextBoolean()) {
        Watcher w = new Watcher(k, null, new byte[] {1}, null, 0, (byte) 0);
        map.put(k, w);
        ref.put(k, w);
      } else {
        assertThat(map.remove(k)).isSameAs(ref.remove(k));
      }
      long probe = rnd.nextInt(300) - 50;
      assertThat(map.get(probe)).isSameAs(ref.get(probe));
      assertThat(map.size()).isEqualTo(ref.size());
    }
    Set<Watcher> all = new HashSet<>();
    map.forEach(all::add);
    assertThat(all).containsExactlyInAnyOrderElementsOf(ref.values());
  }

  @Test
  void keyTableSharesKeyArraysAndFindsAll() {
    KeyTable t = new KeyTable();
    Watcher a = new Watcher(1, null, "k".getBytes(), null, 0, (byte) 0);
    Watcher b = new Watcher(2, null, "k".getBytes(), null, 0, (byte) 0);
    Watcher c = new Watcher(3, null, "k".getBytes(), null, 0, (byte) 0);
    t.add(a);
    t.add(b);
    t.add(c);
    assertThat(b.key).isSameAs(a.key);
    List<Watcher> got = new ArrayList<>();
    t.forEachMatch("k".getBytes(), got::add);
    assertThat(got).containsExactlyInAnyOrder(a, b, c);
    t.remove(b);
    t.remove(a);
    got.clear();
    t.forEachMatch("k".getBytes(), got::add);
    assertThat(got).containsExactly(c);
    t.remove(c);
    assertThat(t.keys()).isZero();
  }
}
