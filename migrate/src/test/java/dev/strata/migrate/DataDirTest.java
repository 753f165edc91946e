package dev.strata.migrate;

import static dev.strata.backend.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.DataDir;
import dev.strata.backend.DataDirException;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code member/ENGINE} marker keeps a member from opening another engine's files. */
class DataDirTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void firstOpenWritesTheMarkerAndReopenKeepsData(String engine) throws Exception {
    DataDir dir = new DataDir(tmp.resolve("default.strata"));
    try (Backend b = dir.openBackend(Backends.factory(engine), BackendOptions.defaults())) {
      WriteBatch batch = b.newBatch();
      batch.put(Bucket.KEY, utf8("k"), utf8("v"));
      b.commit(batch);
    }
    assertThat(Files.readString(dir.engineMarker())).isEqualTo(engine + " 1\n");
    assertThat(dir.engine()).contains(engine);
    try (Backend b = dir.openBackend(Backends.factory(engine), BackendOptions.defaults());
        ReadView v = b.readView()) {
      assertThat(v.get(Bucket.KEY, utf8("k"))).isEqualTo(utf8("v"));
    }
  }

  @org.junit.jupiter.api.Test
  void theLockIsExclusiveUntilClosed() throws Exception {
    DataDir dir = new DataDir(tmp.resolve("locked"));
    try (AutoCloseable held = dir.lock()) {
      assertThatThrownBy(dir::lock).isInstanceOf(DataDirException.class)
          .hasMessageContaining("is in use by another process").hasMessageNotContaining("\n");
    }
    dir.lock().close(); // free again
  }

  @ParameterizedTest
  @CsvSource({"btree,lsm", "lsm,btree"})
  void wrongEngineIsAOneLineErrorNamingBothAndTheMigrator(String created, String requested) {
    DataDir dir = new DataDir(tmp.resolve("d"));
    dir.openBackend(Backends.factory(created), BackendOptions.defaults()).close();
    assertThatThrownBy(() -> dir.openBackend(Backends.factory(requested), BackendOptions.defaults()))
        .isInstanceOf(DataDirException.class)
        .hasMessageContaining("'" + created + "'")
        .hasMessageContaining("--backend=" + requested)
        .hasMessageContaining("strata-util migrate")
        .hasMessageNotContaining("\n");
    assertThat(dir.engine()).contains(created);
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void refusesAFileAsDataDir(String engine) throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "data");
    assertThatThrownBy(() -> new DataDir(file).openBackend(Backends.factory(engine), BackendOptions.defaults()))
        .isInstanceOf(DataDirException.class).hasMessageContaining("not a directory");
    assertThat(Files.readString(file)).isEqualTo("data");
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void refusesEngineFilesWithoutAMarkerAndAnUnknownFormat(String engine) throws Exception {
    DataDir dir = new DataDir(tmp.resolve("d"));
    dir.openBackend(Backends.factory(engine), BackendOptions.defaults()).close();
    Files.delete(dir.engineMarker());
    assertThatThrownBy(() -> dir.openBackend(Backends.factory(engine), BackendOptions.defaults()))
        .isInstanceOf(DataDirException.class).hasMessageContaining("missing");
    Files.writeString(dir.engineMarker(), engine + " 99\n");
    assertThatThrownBy(() -> dir.openBackend(Backends.factory(engine), BackendOptions.defaults()))
        .isInstanceOf(DataDirException.class).hasMessageContaining("not written by this version");
  }

  @ParameterizedTest
  @ValueSource(strings = {"nosuch"})
  void unknownEngineNamesTheAvailableOnes(String engine) {
    assertThatThrownBy(() -> Backends.factory(engine))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown backend 'nosuch'")
        .hasMessageContaining("btree")
        .hasMessageContaining("lsm");
  }
}
