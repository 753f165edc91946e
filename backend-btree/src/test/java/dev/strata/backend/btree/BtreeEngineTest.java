package dev.strata.backend.btree;

import static dev.strata.backend.Bytes.be64;
import static dev.strata.backend.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFailureException;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Bucket;
import dev.strata.backend.Bytes;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behaviour only the btree engine has, so it is not in {@code BackendContractTest}: LMDB's map (a
 * fixed-size mapping that may only be resized with no transaction open), its on-disk file, its
 * defragmentation by copy-and-swap, and its 511-byte limit on search keys.
 */
class BtreeEngineTest {

  private static final BackendOptions ONE_MIB = BackendOptions.defaults().withInitialSizeBytes(BackendOptions.MIB);

  @TempDir Path tmp;

  private static BtreeBackend open(Path dir, BackendOptions options) {
    return (BtreeBackend) new BtreeBackendFactory().open(dir, options);
  }

  private static void put(Backend backend, Bucket bucket, byte[] key, byte[] value) {
    WriteBatch batch = backend.newBatch();
    batch.put(bucket, key, value);
    backend.commit(batch);
  }

  /** LMDB-only: the map cannot be remapped under an open read transaction, so the commit waits. */
  @Test
  void commitThatOutgrowsTheMapWaitsForOpenViewsThenGrows() throws Exception {
    try (BtreeBackend backend = open(tmp.resolve("db"), ONE_MIB)) {
      put(backend, Bucket.KEY, utf8("a"), utf8("old"));
      byte[] big = Bytes.deterministic(1, 4 * 1024 * 1024);
      CompletableFuture<Void> commit;
      try (ReadView view = backend.readView()) {
        commit = CompletableFuture.runAsync(() -> put(backend, Bucket.KEY, utf8("big"), big));
        while (!backend.remapPending() && !commit.isDone()) {
          Thread.onSpinWait(); // until the writer reaches the wait; no timing assumption
        }
        assertThat(commit).as("a commit that needs a bigger map waits for the open view").isNotDone();
        // The view's snapshot is untouched and still readable: nothing was remapped under it.
        assertThat(view.get(Bucket.KEY, utf8("a"))).isEqualTo(utf8("old"));
        assertThat(view.get(Bucket.KEY, utf8("big"))).isNull();
      }
      commit.get(60, TimeUnit.SECONDS);
      assertThat(backend.remapPending()).isFalse();
      assertThat(backend.mapSize()).isGreaterThan(4L * 1024 * 1024);
      try (ReadView view = backend.readView()) {
        assertThat(view.get(Bucket.KEY, utf8("big"))).isEqualTo(big);
      }
    }
  }

  /** LMDB-only: a reopened store keeps room above its file, so the first commit need not grow. */
  @Test
  void reopenedStoreGetsAMapWithRoomAboveItsFile() {
    Path dir = tmp.resolve("db");
    try (BtreeBackend backend = open(dir, ONE_MIB)) {
      for (int i = 0; i < 12; i++) {
        put(backend, Bucket.KEY, be64(i), Bytes.deterministic(i, 1024 * 1024));
      }
    }
    long file = dir.resolve(LmdbStore.DATA_FILE).toFile().length();
    assertThat(file).isGreaterThan(12L * 1024 * 1024);
    try (BtreeBackend backend = open(dir, ONE_MIB)) {
      assertThat(backend.mapSize()).isGreaterThanOrEqualTo(2 * file);
      assertThat(backend.stats().keys(Bucket.KEY)).isEqualTo(12);
    }
  }

  /** The map ceiling is a btree option (lsm has none): reaching it fails the commit, keeps the rest. */
  @Test
  void commitPastTheMaximumMapFailsWithSpaceExceeded() {
    BackendOptions tiny = new BackendOptions(BackendOptions.MIB, 2 * BackendOptions.MIB, 0);
    try (BtreeBackend backend = open(tmp.resolve("db"), tiny)) {
      put(backend, Bucket.META, utf8("kept"), utf8("v"));
      assertThatThrownBy(() -> put(backend, Bucket.KEY, utf8("big"), new byte[3 * 1024 * 1024]))
          .isInstanceOf(BackendFailureException.class)
          .hasMessageContaining("database space exceeded")
          .hasMessageContaining(LmdbStore.DATA_FILE);
      try (ReadView view = backend.readView()) {
        assertThat(view.get(Bucket.META, utf8("kept"))).isEqualTo(utf8("v"));
        assertThat(view.get(Bucket.KEY, utf8("big"))).isNull();
      }
    }
  }

  /** LMDB's file format: overwriting both meta pages makes data.mdb unreadable to LMDB. */
  @Test
  void corruptDataFileFailsNamingTheFile() throws Exception {
    Path dir = tmp.resolve("db");
    try (Backend backend = open(dir, BackendOptions.defaults())) {
      put(backend, Bucket.KEY, utf8("k"), utf8("v"));
    }
    Path data = dir.resolve(LmdbStore.DATA_FILE);
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
      byte[] junk = new byte[2 * 4096];
      Arrays.fill(junk, (byte) 0x5a);
      ch.write(ByteBuffer.wrap(junk), 0);
    }
    assertThatThrownBy(() -> open(dir, BackendOptions.defaults()))
        .isInstanceOf(BackendFailureException.class)
        .hasMessageContaining(data.toString())
        .hasMessageNotContaining("\n");
  }

  /** The copy-and-swap defragmentation may be interrupted between copy and swap; open cleans up. */
  @Test
  void leftoverOfAnInterruptedDefragmentIsDiscarded() throws Exception {
    Path dir = tmp.resolve("db");
    String hash;
    try (Backend backend = open(dir, BackendOptions.defaults())) {
      put(backend, Bucket.KEY, utf8("k"), utf8("v"));
      hash = CanonicalHash.hex(backend);
    }
    Path leftover = Files.createDirectories(dir.resolve(BtreeBackend.DEFRAG_DIR));
    Files.writeString(leftover.resolve(LmdbStore.DATA_FILE), "half a copy");
    try (Backend backend = open(dir, BackendOptions.defaults())) {
      assertThat(CanonicalHash.hex(backend)).isEqualTo(hash);
    }
    assertThat(leftover).doesNotExist();
  }

  /**
   * LMDB rejects search keys over 511 bytes and empty ones, but range bounds are not keys: cursors
   * and deleteRange must accept any bound and still honour [from, to) in unsigned order.
   */
  @Test
  void rangeBoundsMayBeEmptyOrLongerThanTheKeyLimit() {
    byte[] longest = filled(Backend.MAX_KEY_BYTES, 0x01);
    byte[] pastLimit = filled(Backend.MAX_KEY_BYTES + 89, 0x01); // longest < pastLimit < {0x02}
    try (BtreeBackend backend = open(tmp.resolve("db"), BackendOptions.defaults())) {
      WriteBatch batch = backend.newBatch();
      for (byte[] k : List.of(Bytes.of(0x01), longest, Bytes.of(0x02), Bytes.of(0xff))) {
        batch.put(Bucket.KEY, k, k);
      }
      backend.commit(batch);
      try (ReadView view = backend.readView()) {
        assertThat(keys(view, pastLimit, null)).containsExactly(Bytes.of(0x02), Bytes.of(0xff));
        assertThat(keys(view, null, pastLimit)).containsExactly(Bytes.of(0x01), longest);
        assertThat(keys(view, new byte[0], Bytes.of(0x02))).containsExactly(Bytes.of(0x01), longest);
        assertThat(keys(view, null, new byte[0])).isEmpty();
      }
      WriteBatch delete = backend.newBatch();
      delete.deleteRange(Bucket.KEY, pastLimit, Bytes.of(0xff));
      delete.deleteRange(Bucket.KEY, new byte[0], Bytes.of(0x02));
      backend.commit(delete);
      try (ReadView view = backend.readView()) {
        assertThat(keys(view, null, null)).containsExactly(Bytes.of(0xff));
      }
    }
  }

  @Test
  void mapSizesDoubleWithinTheCeiling() {
    long mib = BackendOptions.MIB;
    assertThat(MapSizes.grown(mib, mib + 1, 64 * mib)).isEqualTo(2 * mib);
    assertThat(MapSizes.grown(mib, 5 * mib, 64 * mib)).isEqualTo(8 * mib);
    assertThat(MapSizes.grown(48 * mib, 50 * mib, 64 * mib)).isEqualTo(64 * mib);
    assertThat(MapSizes.initial(BackendOptions.defaults(), 0)).isEqualTo(64 * mib);
    assertThat(MapSizes.initial(ONE_MIB, 10 * mib)).isEqualTo(32 * mib);
    assertThat(MapSizes.initial(new BackendOptions(mib, 4 * mib, 0), 10 * mib))
        .as("never below the data already in the file").isEqualTo(10 * mib);
  }

  private static List<byte[]> keys(ReadView view, byte[] from, byte[] to) {
    List<byte[]> out = new ArrayList<>();
    try (Cursor c = view.cursor(Bucket.KEY, from, to)) {
      while (c.next()) {
        out.add(c.key());
      }
    }
    return out;
  }

  private static byte[] filled(int length, int b) {
    byte[] out = new byte[length];
    Arrays.fill(out, (byte) b);
    return out;
  }
}
