package dev.strata.backend;

import static dev.strata.backend.Bytes.be64;
import static dev.strata.backend.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine contract of {@link Backend}, written once: every engine extends this class, supplies its
 * factory, and must pass it unchanged. Each test runs on a real engine in a fresh temp directory.
 */
public abstract class BackendContractTest {

  @TempDir protected Path tmp;
  protected Backend backend;

  /** The engine under test. */
  protected abstract BackendFactory factory();

  protected BackendOptions options() {
    return BackendOptions.defaults();
  }

  @BeforeEach
  void openBackend() {
    backend = factory().open(tmp.resolve("db"), options());
  }

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  protected void commit(WriteBatchFiller filler) {
    WriteBatch b = backend.newBatch();
    filler.fill(b);
    backend.commit(b);
  }

  /** Adds mutations to a batch. */
  @FunctionalInterface
  protected interface WriteBatchFiller {
    void fill(WriteBatch batch);
  }

  protected static List<byte[]> keys(ReadView view, Bucket bucket, byte[] from, byte[] to) {
    List<byte[]> out = new ArrayList<>();
    try (Cursor c = view.cursor(bucket, from, to)) {
      while (c.next()) {
        out.add(c.key());
      }
    }
    return out;
  }

  protected List<byte[]> keys(Bucket bucket) {
    try (ReadView v = backend.readView()) {
      return keys(v, bucket, null, null);
    }
  }

  protected byte[] get(Bucket bucket, byte[] key) {
    try (ReadView v = backend.readView()) {
      return v.get(bucket, key);
    }
  }

  @Test
  void factoryHasAName() {
    assertThat(factory().name()).isNotBlank();
    assertThat(backend.stats().engine()).isEqualTo(factory().name());
  }

  @Test
  void commitIsAtomicAcrossBuckets() {
    WriteBatch batch = backend.newBatch();
    batch.put(Bucket.KEY, utf8("k"), utf8("v1"));
    batch.put(Bucket.META, utf8("consistent_index"), be64(7));
    batch.put(Bucket.LEASE, utf8("l"), utf8("lease"));
    try (ReadView before = backend.readView()) {
      assertThat(before.get(Bucket.KEY, utf8("k"))).isNull();
      backend.commit(batch);
      assertThat(before.get(Bucket.META, utf8("consistent_index"))).as("view opened before commit").isNull();
    }
    assertThat(get(Bucket.KEY, utf8("k"))).isEqualTo(utf8("v1"));
    assertThat(get(Bucket.META, utf8("consistent_index"))).isEqualTo(be64(7));
    assertThat(get(Bucket.LEASE, utf8("l"))).isEqualTo(utf8("lease"));
  }

  @Test
  void readViewIsUnaffectedByLaterCommits() {
    commit(b -> {
      b.put(Bucket.KEY, utf8("a"), utf8("1"));
      b.put(Bucket.KEY, utf8("b"), utf8("2"));
    });
    try (ReadView old = backend.readView()) {
      commit(b -> {
        b.put(Bucket.KEY, utf8("a"), utf8("changed"));
        b.delete(Bucket.KEY, utf8("b"));
        b.put(Bucket.KEY, utf8("c"), utf8("3"));
      });
      assertThat(old.get(Bucket.KEY, utf8("a"))).isEqualTo(utf8("1"));
      assertThat(old.get(Bucket.KEY, utf8("b"))).isEqualTo(utf8("2"));
      assertThat(old.get(Bucket.KEY, utf8("c"))).isNull();
      assertThat(keys(old, Bucket.KEY, null, null)).containsExactly(utf8("a"), utf8("b"));
    }
    assertThat(keys(Bucket.KEY)).containsExactly(utf8("a"), utf8("c"));
    assertThat(get(Bucket.KEY, utf8("a"))).isEqualTo(utf8("changed"));
  }

  @Test
  void cursorsIterateInUnsignedByteOrderWithinBounds() {
    byte[][] inserted = {
      Bytes.of(0xff), Bytes.of(0x00), Bytes.of(0x7f), Bytes.of(0x80), Bytes.of(0x80, 0x00),
      Bytes.of(0x01, 0xff), Bytes.of(0x01), Bytes.of(0xfe, 0xff, 0xff)
    };
    commit(b -> {
      for (byte[] k : inserted) {
        b.put(Bucket.KEY, k, k);
      }
      b.put(Bucket.META, Bytes.of(0x50), utf8("other bucket"));
      b.put(Bucket.AUTH, Bytes.of(0x00), utf8("other bucket"));
    });
    assertThat(keys(Bucket.KEY)).containsExactly(
        Bytes.of(0x00), Bytes.of(0x01), Bytes.of(0x01, 0xff), Bytes.of(0x7f), Bytes.of(0x80),
        Bytes.of(0x80, 0x00), Bytes.of(0xfe, 0xff, 0xff), Bytes.of(0xff));
    try (ReadView v = backend.readView()) {
      assertThat(keys(v, Bucket.KEY, Bytes.of(0x01, 0xff), Bytes.of(0x80, 0x00)))
          .containsExactly(Bytes.of(0x01, 0xff), Bytes.of(0x7f), Bytes.of(0x80));
      assertThat(keys(v, Bucket.KEY, Bytes.of(0x80, 0x01), null))
          .containsExactly(Bytes.of(0xfe, 0xff, 0xff), Bytes.of(0xff));
      assertThat(keys(v, Bucket.KEY, null, Bytes.of(0x01))).containsExactly(Bytes.of(0x00));
      assertThat(keys(v, Bucket.KEY, Bytes.of(0x90), Bytes.of(0x10))).as("empty when to < from").isEmpty();
      assertThat(keys(v, Bucket.META, null, null)).containsExactly(Bytes.of(0x50));
      assertThat(keys(v, Bucket.LEASE, null, null)).isEmpty();
      try (Cursor c = v.cursor(Bucket.KEY, Bytes.of(0x7f), null)) {
        assertThatThrownBy(c::key).isInstanceOf(IllegalStateException.class);
        assertThat(c.next()).isTrue();
        assertThat(c.key()).isEqualTo(Bytes.of(0x7f));
        assertThat(c.value()).isEqualTo(Bytes.of(0x7f));
      }
    }
  }

  @Test
  void deleteRangeRemovesOnlyItsBucketAndInterval() {
    commit(b -> {
      for (int i = 0; i < 100; i++) {
        b.put(Bucket.KEY, be64(i), be64(i));
        b.put(Bucket.LEASE, be64(i), be64(i));
      }
    });
    commit(b -> b.deleteRange(Bucket.KEY, be64(10), be64(20)));
    assertThat(keys(Bucket.KEY)).hasSize(90);
    assertThat(get(Bucket.KEY, be64(9))).isNotNull();
    assertThat(get(Bucket.KEY, be64(10))).isNull();
    assertThat(get(Bucket.KEY, be64(19))).isNull();
    assertThat(get(Bucket.KEY, be64(20))).isNotNull();
    assertThat(keys(Bucket.LEASE)).hasSize(100);
    commit(b -> b.deleteRange(Bucket.KEY, be64(90), null));
    commit(b -> b.deleteRange(Bucket.KEY, null, be64(5)));
    assertThat(keys(Bucket.KEY)).hasSize(75).first().isEqualTo(be64(5));
    commit(b -> b.deleteRange(Bucket.LEASE, null, null));
    assertThat(keys(Bucket.LEASE)).isEmpty();
    assertThat(keys(Bucket.KEY)).hasSize(75);
  }

  @Test
  void mutationsInOneBatchApplyInOrder() {
    commit(b -> {
      b.put(Bucket.KEY, utf8("x"), utf8("1"));
      b.delete(Bucket.KEY, utf8("x"));
      b.delete(Bucket.KEY, utf8("y"));
      b.put(Bucket.KEY, utf8("y"), utf8("2"));
      b.put(Bucket.KEY, utf8("r1"), utf8("3"));
      b.deleteRange(Bucket.KEY, utf8("r"), utf8("s"));
      b.put(Bucket.KEY, utf8("r2"), utf8("4"));
      b.put(Bucket.KEY, utf8("z"), utf8("first"));
      b.put(Bucket.KEY, utf8("z"), utf8("second"));
    });
    assertThat(keys(Bucket.KEY)).containsExactly(utf8("r2"), utf8("y"), utf8("z"));
    assertThat(get(Bucket.KEY, utf8("z"))).isEqualTo(utf8("second"));
  }

  @Test
  void arraysAreCopiedBothWays() {
    byte[] key = utf8("key");
    byte[] value = utf8("value");
    WriteBatch batch = backend.newBatch();
    batch.put(Bucket.KEY, key, value);
    key[0] = 'X';
    value[0] = 'X';
    backend.commit(batch);
    byte[] read = get(Bucket.KEY, utf8("key"));
    assertThat(read).isEqualTo(utf8("value"));
    read[0] = 'Y';
    assertThat(get(Bucket.KEY, utf8("key"))).isEqualTo(utf8("value"));
    assertThat(get(Bucket.KEY, utf8("Xey"))).isNull();
  }

  @Test
  void emptyValuesAreStoredAndAbsentKeysReadAsNull() {
    commit(b -> b.put(Bucket.ALARM, utf8("empty"), new byte[0]));
    assertThat(get(Bucket.ALARM, utf8("empty"))).isEmpty();
    assertThat(get(Bucket.ALARM, utf8("absent"))).isNull();
  }

  @Test
  void largeValuesRoundTrip() {
    int size = 1536 * 1024;
    commit(b -> {
      for (int i = 0; i < 8; i++) {
        b.put(Bucket.KEY, be64(i), Bytes.deterministic(i, size + i));
      }
    });
    backend.sync();
    for (int i = 0; i < 8; i++) {
      assertThat(get(Bucket.KEY, be64(i))).isEqualTo(Bytes.deterministic(i, size + i));
    }
  }

  @Test
  void holdsOneMillionKeys() {
    int total = 1_000_000;
    int perBatch = 20_000;
    for (int start = 0; start < total; start += perBatch) {
      WriteBatch batch = backend.newBatch();
      for (int i = start; i < start + perBatch; i++) {
        batch.put(Bucket.KEY, be64(i * 7L), be64(i));
      }
      backend.commit(batch);
    }
    backend.sync();
    long seed = Seeds.seed("holdsOneMillionKeys");
    Random random = new Random(seed);
    try (ReadView v = backend.readView()) {
      long count = 0;
      long previous = -1;
      try (Cursor c = v.cursor(Bucket.KEY, null, null)) {
        while (c.next()) {
          long k = Bytes.be64(c.key());
          assertThat(k).isGreaterThan(previous);
          previous = k;
          count++;
        }
      }
      assertThat(count).isEqualTo(total);
      for (int i = 0; i < 1000; i++) {
        int n = random.nextInt(total);
        assertThat(v.get(Bucket.KEY, be64(n * 7L))).as("seed %d key %d", seed, n).isEqualTo(be64(n));
        assertThat(v.get(Bucket.KEY, be64(n * 7L + 1))).isNull();
      }
    }
    BackendStats stats = backend.stats();
    assertThat(stats.keys(Bucket.KEY)).isBetween(total / 2L, total * 2L);
    assertThat(stats.bytesOnDisk()).isGreaterThan(total * 8L);
  }

  @Test
  void reopensWithEverythingCommitted() {
    commit(b -> {
      for (int i = 0; i < 1000; i++) {
        b.put(Bucket.values()[i % Bucket.values().length], be64(i), Bytes.deterministic(i, 100));
      }
    });
    String before = CanonicalHash.hex(backend);
    backend.close();
    backend = factory().open(tmp.resolve("db"), options());
    assertThat(CanonicalHash.hex(backend)).isEqualTo(before);
    commit(b -> b.put(Bucket.KEY, utf8("after reopen"), utf8("ok")));
    assertThat(get(Bucket.KEY, utf8("after reopen"))).isEqualTo(utf8("ok"));
  }

  @Test
  void growsPastItsInitialSize() {
    backend.close();
    backend = factory().open(tmp.resolve("small"), options().withInitialSizeBytes(BackendOptions.MIB));
    int values = 64;
    for (int i = 0; i < values; i++) {
      int n = i;
      commit(b -> b.put(Bucket.KEY, be64(n), Bytes.deterministic(n, 1024 * 1024)));
    }
    backend.sync();
    assertThat(backend.stats().bytesOnDisk()).isGreaterThan(values * 1024L * 1024);
    for (int i = 0; i < values; i++) {
      assertThat(get(Bucket.KEY, be64(i))).isEqualTo(Bytes.deterministic(i, 1024 * 1024));
    }
  }

  @Test
  void everythingThrowsAfterClose() {
    WriteBatch batch = backend.newBatch();
    batch.put(Bucket.KEY, utf8("k"), utf8("v"));
    ReadView view = backend.readView();
    Cursor cursor = view.cursor(Bucket.KEY, null, null);
    cursor.close();
    cursor.close();
    assertThatThrownBy(cursor::next).isInstanceOf(IllegalStateException.class);
    view.close();
    view.close();
    assertThatThrownBy(() -> view.get(Bucket.KEY, utf8("k"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> view.cursor(Bucket.KEY, null, null)).isInstanceOf(IllegalStateException.class);
    backend.close();
    backend.close();
    assertThatThrownBy(() -> backend.commit(batch)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(backend::readView).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(backend::newBatch).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(backend::sync).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(backend::stats).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> backend.exportTo(tmp.resolve("x"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void cursorsOfAClosedViewThrow() {
    commit(b -> b.put(Bucket.KEY, utf8("k"), utf8("v")));
    ReadView view = backend.readView();
    Cursor cursor = view.cursor(Bucket.KEY, null, null);
    view.close();
    assertThatThrownBy(cursor::next).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void badInputIsRejectedWithAReasonAndLosesNothing() {
    commit(b -> b.put(Bucket.KEY, utf8("kept"), utf8("v")));
    WriteBatch batch = backend.newBatch();
    assertThatThrownBy(() -> batch.put(Bucket.KEY, null, utf8("v")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key");
    assertThatThrownBy(() -> batch.put(Bucket.KEY, new byte[0], utf8("v")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> batch.put(Bucket.KEY, new byte[Backend.MAX_KEY_BYTES + 1], utf8("v")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    assertThatThrownBy(() -> batch.put(Bucket.KEY, utf8("k"), null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value");
    assertThatThrownBy(() -> batch.delete(Bucket.KEY, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Bucket.byId(99)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown bucket id: 99");
    try (ReadView v = backend.readView()) {
      assertThatThrownBy(() -> v.get(Bucket.KEY, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
    batch.put(Bucket.KEY, new byte[Backend.MAX_KEY_BYTES], utf8("longest key"));
    backend.commit(batch);
    assertThatThrownBy(() -> batch.put(Bucket.KEY, utf8("k2"), utf8("v")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already committed");
    assertThatThrownBy(() -> backend.commit(batch)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> backend.commit(new MutationBatch(new Object())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(get(Bucket.KEY, utf8("kept"))).isEqualTo(utf8("v"));
    assertThat(get(Bucket.KEY, new byte[Backend.MAX_KEY_BYTES])).isEqualTo(utf8("longest key"));
  }

  @Test
  void refusesADataDirThatIsAFile() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    assertThatThrownBy(() -> factory().open(file, options()))
        .isInstanceOf(DataDirException.class).hasMessageContaining("not-a-dir");
    assertThat(Files.readString(file)).isEqualTo("x");
  }

  @Test
  void statsDescribeTheContent() {
    BackendStats empty = backend.stats();
    assertThat(empty.keys(Bucket.KEY)).isZero();
    commit(b -> {
      for (int i = 0; i < 10_000; i++) {
        b.put(Bucket.KEY, be64(i), Bytes.deterministic(i, 200));
      }
    });
    backend.sync();
    BackendStats stats = backend.stats();
    assertThat(stats.engine()).isEqualTo(factory().name());
    assertThat(stats.bytesOnDisk()).isGreaterThan(0);
    assertThat(stats.bytesInUse()).isBetween(1L, stats.bytesOnDisk());
    assertThat(stats.keys(Bucket.KEY)).isBetween(5_000L, 20_000L);
    assertThat(stats.keys(Bucket.CLUSTER)).isZero();
  }

  @Test
  void exportIsAConsistentOpenableCopy() {
    commit(b -> {
      for (int i = 0; i < 5000; i++) {
        b.put(Bucket.KEY, be64(i), Bytes.deterministic(i, 300));
        b.put(Bucket.META, be64(i), be64(i));
      }
    });
    String hash = CanonicalHash.hex(backend);
    Path copy = tmp.resolve("export");
    backend.exportTo(copy);
    commit(b -> b.put(Bucket.KEY, utf8("after export"), utf8("v")));
    try (Backend exported = factory().open(copy, options())) {
      assertThat(CanonicalHash.hex(exported)).isEqualTo(hash);
    }
    assertThat(get(Bucket.KEY, utf8("after export"))).isEqualTo(utf8("v"));
  }

  @Test
  void defragmentKeepsContentAndReclaimsSpace() {
    for (int round = 0; round < 5; round++) {
      int r = round;
      commit(b -> {
        for (int i = 0; i < 2000; i++) {
          b.put(Bucket.KEY, be64(r * 2000L + i), Bytes.deterministic(i, 1000));
        }
      });
      backend.sync(); // the data reaches the engine's files before it is deleted
    }
    commit(b -> b.deleteRange(Bucket.KEY, be64(100), null));
    backend.sync();
    String hash = CanonicalHash.hex(backend);
    long before = backend.stats().bytesOnDisk();
    backend.defragment();
    backend.sync();
    assertThat(CanonicalHash.hex(backend)).isEqualTo(hash);
    assertThat(backend.stats().bytesOnDisk()).isLessThan(before);
    commit(b -> b.put(Bucket.KEY, utf8("after defrag"), utf8("v")));
    assertThat(get(Bucket.KEY, utf8("after defrag"))).isEqualTo(utf8("v"));
  }

  @Test
  void concurrentReadersSeeWholeBatchesOnly() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      List<Future<Long>> checks = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        checks.add(readers.submit(() -> {
          long views = 0;
          while (!stop.get()) {
            try (ReadView v = backend.readView()) {
              byte[] a = v.get(Bucket.KEY, utf8("counter"));
              byte[] b = v.get(Bucket.META, utf8("counter"));
              assertThat(b).isEqualTo(a);
              views++;
            }
          }
          return views;
        }));
      }
      for (int i = 0; i < 2000; i++) {
        byte[] n = be64(i);
        commit(b -> {
          b.put(Bucket.KEY, utf8("counter"), n);
          b.put(Bucket.META, utf8("counter"), n);
        });
      }
      stop.set(true);
      for (Future<Long> f : checks) {
        assertThat(f.get()).isPositive();
      }
    } finally {
      stop.set(true);
      readers.shutdownNow();
    }
  }
}
