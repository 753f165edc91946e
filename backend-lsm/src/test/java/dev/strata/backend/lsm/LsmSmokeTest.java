package dev.strata.backend.lsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A quick end-to-end pass over the engine; the full contract lives in LsmBackendContractTest. */
class LsmSmokeTest {

  @TempDir Path tmp;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private Backend open(Path dir) {
    return Backends.factory("lsm").open(dir, BackendOptions.defaults().withCacheBytes(8 * BackendOptions.MIB));
  }

  private static List<String> keys(ReadView view, Bucket bucket, byte[] from, byte[] to) {
    List<String> out = new ArrayList<>();
    try (Cursor c = view.cursor(bucket, from, to)) {
      while (c.next()) {
        out.add(s(c.key()) + "=" + s(c.value()));
      }
    }
    return out;
  }

  @Test
  void putGetCursorDeleteRangeAcrossBuckets() {
    try (Backend backend = open(tmp.resolve("db"))) {
      var batch = backend.newBatch();
      for (String k : List.of("a", "b", "c", "d")) {
        batch.put(Bucket.KEY, b(k), b("v" + k));
      }
      batch.put(Bucket.META, b("consistent_index"), b("7"));
      batch.put(Bucket.LEASE, b("a"), new byte[0]);
      backend.commit(batch);

      ReadView before = backend.readView();
      var del = backend.newBatch();
      del.deleteRange(Bucket.KEY, b("b"), b("d"));
      del.deleteRange(Bucket.LEASE, null, null);
      del.deleteRange(Bucket.KEY, b("z"), b("a")); // reversed: empty, not an error
      backend.commit(del);

      try (ReadView after = backend.readView()) {
        assertThat(keys(after, Bucket.KEY, null, null)).containsExactly("a=va", "d=vd");
        assertThat(keys(after, Bucket.LEASE, null, null)).isEmpty();
        assertThat(s(after.get(Bucket.META, b("consistent_index")))).isEqualTo("7");
        assertThat(after.get(Bucket.KEY, b("b"))).isNull();
      }
      assertThat(keys(before, Bucket.KEY, b("b"), null)).containsExactly("b=vb", "c=vc", "d=vd");
      assertThat(keys(before, Bucket.LEASE, null, null)).containsExactly("a=");
      before.close();
      before.close();
      assertThatThrownBy(() -> before.get(Bucket.KEY, b("a"))).isInstanceOf(IllegalStateException.class);

      var stats = backend.stats();
      assertThat(stats.engine()).isEqualTo("lsm");
      assertThat(stats.keys(Bucket.KEY)).isEqualTo(2);
      assertThat(stats.keys(Bucket.META)).isEqualTo(1);
      assertThat(stats.bytesInUse()).isBetween(0L, stats.bytesOnDisk());
    }
  }

  @Test
  void closedBackendViewAndCursorThrowAndReopenKeepsData() {
    Path dir = tmp.resolve("db");
    Backend backend = open(dir);
    var batch = backend.newBatch();
    batch.put(Bucket.KEY, b("k"), b("v"));
    backend.commit(batch);
    String hash = CanonicalHash.hex(backend);
    ReadView view = backend.readView();
    Cursor cursor = view.cursor(Bucket.KEY, null, null);
    backend.close();
    backend.close();

    assertThatThrownBy(backend::readView).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> view.get(Bucket.KEY, b("k"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(cursor::next).isInstanceOf(IllegalStateException.class);
    cursor.close();
    view.close();

    try (Backend reopened = open(dir)) {
      assertThat(CanonicalHash.hex(reopened)).isEqualTo(hash);
    }
  }

  @Test
  void exportDefragmentAndManyKeys() {
    try (Backend backend = open(tmp.resolve("db"))) {
      for (int round = 0; round < 3; round++) {
        var batch = backend.newBatch();
        for (int i = 0; i < 2000; i++) {
          batch.put(Bucket.KEY, b(String.format("%06d", i)), b("value-" + round + "-" + i));
        }
        backend.commit(batch);
        backend.sync();
      }
      var del = backend.newBatch();
      del.deleteRange(Bucket.KEY, null, b("001000"));
      backend.commit(del);
      backend.defragment();
      long estimate = backend.stats().keys(Bucket.KEY);
      assertThat(estimate).isBetween(500L, 5000L);

      Path export = tmp.resolve("export");
      backend.exportTo(export);
      try (Backend copy = open(export)) {
        assertThat(CanonicalHash.hex(copy)).isEqualTo(CanonicalHash.hex(backend));
      }
    }
  }
}
