package dev.strata.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.backend.Seeds;
import dev.strata.backend.WriteBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metamorphic test across engines: one seeded random sequence of 100,000 mutations (puts, deletes,
 * deleteRanges, every bucket, skewed key and value sizes) applied to btree, lsm and an in-memory model
 * must leave identical full scans and identical canonical hashes, before and after reopening.
 * Replay a failure with {@code -Dstrata.seed=N}.
 */
class CrossEngineMetamorphicTest {

  private static final int MUTATIONS = 100_000;

  @TempDir Path tmp;

  @Test
  void sameMutationsGiveSameContentOnEveryEngine() {
    long seed = Seeds.seed("CrossEngineMetamorphicTest");
    Random random = new Random(seed);
    Map<Bucket, TreeMap<byte[], byte[]>> model = new TreeMap<>();
    for (Bucket b : Bucket.values()) {
      model.put(b, new TreeMap<>(Arrays::compareUnsigned));
    }
    Backend btree = Backends.factory("btree").open(tmp.resolve("btree"), BackendOptions.defaults().withInitialSizeBytes(BackendOptions.MIB));
    Backend lsm = Backends.factory("lsm").open(tmp.resolve("lsm"), BackendOptions.defaults());
    try {
      int applied = 0;
      int batchNo = 0;
      while (applied < MUTATIONS) {
        int size = Math.min(MUTATIONS - applied, 1 + random.nextInt(random.nextInt(10) == 0 ? 2000 : 100));
        WriteBatch a = btree.newBatch();
        WriteBatch b = lsm.newBatch();
        for (int i = 0; i < size; i++) {
          applyRandom(random, model, a, b);
        }
        btree.commit(a);
        lsm.commit(b);
        applied += size;
        if (++batchNo % 97 == 0) {
          assertSameContent(seed, "after batch " + batchNo, model, btree, lsm);
        }
      }
      assertSameContent(seed, "at the end", model, btree, lsm);
      String hash = CanonicalHash.hex(btree);
      btree.close();
      lsm.close();
      btree = Backends.factory("btree").open(tmp.resolve("btree"), BackendOptions.defaults());
      lsm = Backends.factory("lsm").open(tmp.resolve("lsm"), BackendOptions.defaults());
      assertSameContent(seed, "after reopen", model, btree, lsm);
      assertThat(CanonicalHash.hex(lsm)).isEqualTo(hash);
    } finally {
      btree.close();
      lsm.close();
    }
  }

  private static void applyRandom(Random random, Map<Bucket, TreeMap<byte[], byte[]>> model, WriteBatch a, WriteBatch b) {
    // Skewed toward the KEY bucket, like a real member; every bucket is exercised.
    Bucket bucket = random.nextInt(3) == 0 ? Bucket.values()[random.nextInt(Bucket.values().length)] : Bucket.KEY;
    TreeMap<byte[], byte[]> m = model.get(bucket);
    int op = random.nextInt(100);
    if (op < 75) {
      byte[] key = randomKey(random, m);
      byte[] value = randomValue(random);
      a.put(bucket, key, value);
      b.put(bucket, key, value);
      m.put(key, value);
    } else if (op < 95) {
      byte[] key = randomKey(random, m);
      a.delete(bucket, key);
      b.delete(bucket, key);
      m.remove(key);
    } else {
      byte[] from = random.nextInt(10) == 0 ? null : randomKey(random, m);
      byte[] to = random.nextInt(10) == 0 ? null : randomKey(random, m);
      if (from != null && to != null && Arrays.compareUnsigned(from, to) > 0) {
        byte[] t = from;
        from = to;
        to = t;
      }
      a.deleteRange(bucket, from, to);
      b.deleteRange(bucket, from, to);
      if (from == null && to == null) {
        m.clear();
      } else if (from == null) {
        m.headMap(to, false).clear();
      } else if (to == null) {
        m.tailMap(from, true).clear();
      } else if (Arrays.compareUnsigned(from, to) < 0) {
        m.subMap(from, true, to, false).clear();
      }
    }
  }

  /** Mostly short keys from a small alphabet (so operations collide), sometimes up to 511 bytes. */
  private static byte[] randomKey(Random random, TreeMap<byte[], byte[]> existing) {
    if (!existing.isEmpty() && random.nextInt(4) == 0) {
      byte[] probe = new byte[1 + random.nextInt(4)];
      random.nextBytes(probe);
      Map.Entry<byte[], byte[]> e = existing.ceilingEntry(probe);
      if (e != null) {
        return e.getKey().clone();
      }
    }
    int r = random.nextInt(100);
    int len = r < 80 ? 1 + random.nextInt(8) : r < 98 ? 9 + random.nextInt(64) : 73 + random.nextInt(439);
    byte[] key = new byte[len];
    for (int i = 0; i < len; i++) {
      key[i] = (byte) (i < 3 ? random.nextInt(6) * 51 : random.nextInt(256));
    }
    return key;
  }

  private static byte[] randomValue(Random random) {
    int r = random.nextInt(1000);
    int len = r < 10 ? 0 : r < 900 ? random.nextInt(100) : r < 995 ? random.nextInt(4096) : random.nextInt(256 * 1024);
    byte[] v = new byte[len];
    random.nextBytes(v);
    return v;
  }

  private static void assertSameContent(long seed, String when, Map<Bucket, TreeMap<byte[], byte[]>> model, Backend btree, Backend lsm) {
    try (ReadView a = btree.readView(); ReadView b = lsm.readView()) {
      for (Bucket bucket : Bucket.values()) {
        List<byte[]> scanA = scan(a, bucket);
        List<byte[]> scanB = scan(b, bucket);
        List<byte[]> expected = new ArrayList<>();
        model.get(bucket).forEach((k, v) -> {
          expected.add(k);
          expected.add(v);
        });
        assertThat(scanA).as("seed %d %s: btree scan of %s", seed, when, bucket).containsExactlyElementsOf(expected);
        assertThat(scanB).as("seed %d %s: lsm scan of %s", seed, when, bucket).containsExactlyElementsOf(expected);
      }
      assertThat(CanonicalHash.of(b)).as("seed %d %s: canonical hash", seed, when).isEqualTo(CanonicalHash.of(a));
    }
  }

  private static List<byte[]> scan(ReadView view, Bucket bucket) {
    List<byte[]> out = new ArrayList<>();
    try (Cursor c = view.cursor(bucket, null, null)) {
      while (c.next()) {
        out.add(c.key());
        out.add(c.value());
      }
    }
    return out;
  }
}
