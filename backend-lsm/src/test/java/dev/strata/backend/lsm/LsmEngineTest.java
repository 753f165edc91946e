package dev.strata.backend.lsm;

import static dev.strata.backend.Bytes.be64;
import static dev.strata.backend.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFailureException;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Bucket;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behaviour that exists only because the engine is RocksDB through JNI; everything engine-neutral is
 * in {@code BackendContractTest} and {@code BackendCrashTest}.
 */
class LsmEngineTest {

  @TempDir Path tmp;

  private static Backend open(Path dir) {
    return new LsmBackendFactory().open(dir, BackendOptions.defaults().withCacheBytes(8 * BackendOptions.MIB));
  }

  private static void writeSome(Path dir) {
    try (Backend backend = open(dir)) {
      var batch = backend.newBatch();
      batch.put(Bucket.KEY, utf8("k"), utf8("v"));
      backend.commit(batch);
    }
  }

  /** RocksDB finds its MANIFEST through CURRENT; damage there must stop the member, naming the dir. */
  @Test
  void damagedCurrentFailsNamingTheDir() throws Exception {
    Path dir = tmp.resolve("db");
    writeSome(dir);
    Files.writeString(dir.resolve("CURRENT"), "MANIFEST-999999\n");
    assertThatThrownBy(() -> open(dir))
        .isInstanceOf(BackendFailureException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageNotContaining("\n");
  }

  /** A MANIFEST with a corrupted record is a RocksDB Corruption status at open. */
  @Test
  void corruptedManifestFailsNamingTheDir() throws Exception {
    Path dir = tmp.resolve("db");
    writeSome(dir);
    Path manifest;
    try (Stream<Path> files = Files.list(dir)) {
      manifest = files.filter(p -> p.getFileName().toString().startsWith("MANIFEST-")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(manifest);
    for (int i = 7; i < bytes.length; i += 16) {
      bytes[i] ^= 0x5a; // flip bits inside records so their checksums fail
    }
    Files.write(manifest, bytes);
    assertThatThrownBy(() -> open(dir))
        .isInstanceOf(BackendFailureException.class)
        .hasMessageContaining(dir.toString());
  }

  /** RocksDB's LOCK file refuses a second open of the same directory, even in one process. */
  @Test
  void secondOpenOfTheSameDirFailsAndLeavesTheFirstUsable() {
    Path dir = tmp.resolve("db");
    try (Backend first = open(dir)) {
      assertThatThrownBy(() -> open(dir))
          .isInstanceOf(BackendFailureException.class)
          .hasMessageContaining(dir.toString());
      var batch = first.newBatch();
      batch.put(Bucket.KEY, utf8("k"), utf8("v"));
      first.commit(batch);
      try (ReadView v = first.readView()) {
        assertThat(v.get(Bucket.KEY, utf8("k"))).isEqualTo(utf8("v"));
      }
    }
  }

  /** RocksDB's checkpoint insists on creating its directory; an existing empty one is accepted. */
  @Test
  void exportAcceptsAnEmptyExistingDirAndRefusesANonEmptyOne() throws Exception {
    Path dir = tmp.resolve("db");
    writeSome(dir);
    try (Backend backend = open(dir)) {
      Path empty = Files.createDirectories(tmp.resolve("empty"));
      backend.exportTo(empty);
      try (Backend copy = open(empty)) {
        assertThat(CanonicalHash.hex(copy)).isEqualTo(CanonicalHash.hex(backend));
      }
      Path full = Files.createDirectories(tmp.resolve("full"));
      Files.writeString(full.resolve("keep"), "x");
      assertThatThrownBy(() -> backend.exportTo(full))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not empty");
      assertThat(Files.readString(full.resolve("keep"))).isEqualTo("x");
    }
  }

  /**
   * Freeing a RocksDB snapshot or iterator while another thread reads through it crashes the JVM.
   * A reader racing backend close must only ever see IllegalStateException.
   */
  @Test
  void closeRacingAReaderNeverTouchesFreedHandles() throws Exception {
    Backend backend = open(tmp.resolve("db"));
    var batch = backend.newBatch();
    for (int i = 0; i < 1000; i++) {
      batch.put(Bucket.KEY, be64(i), be64(i));
    }
    backend.commit(batch);
    CountDownLatch reading = new CountDownLatch(50);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Throwable> reader = pool.submit(() -> {
        try {
          while (true) {
            ReadView v = backend.readView();
            Cursor c = v.cursor(Bucket.KEY, null, null);
            while (c.next()) {
              c.key();
              v.get(Bucket.KEY, c.value());
            }
            c.close();
            v.close();
            reading.countDown();
          }
        } catch (Throwable t) {
          return t;
        }
      });
      assertThat(reading.await(60, TimeUnit.SECONDS)).isTrue();
      backend.close();
      assertThat(reader.get(60, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
    } finally {
      pool.shutdownNow();
      backend.close();
    }
  }
}
