package dev.strata.server.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.DataDir;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swap's crash states: each test builds the directory a crash at one point would leave and checks
 * that recovery yields the old backend or the new one, whole.
 */
class BackendSwapTest {

  private static final String ENGINE = "btree";

  @TempDir Path tmp;
  private DataDir dataDir;
  private BackendSwap swap;
  private String oldHash;
  private String newHash;

  @BeforeEach
  void setUp() throws Exception {
    dataDir = new DataDir(tmp.resolve("d"));
    try (Backend b = dataDir.openBackend(Backends.factory(ENGINE), BackendOptions.defaults()
        .withInitialSizeBytes(16 * BackendOptions.MIB))) {
      SnapshotEngines.fill(b, 10, 16, 1, 10);
      b.sync();
      oldHash = CanonicalHash.hex(b);
    }
    swap = new BackendSwap(dataDir);
    swap.prepareIncoming();
    try (Backend b = SnapshotEngines.open(ENGINE, swap.incomingDir())) {
      SnapshotEngines.fill(b, 20, 16, 2, 500);
      b.sync();
      newHash = CanonicalHash.hex(b);
    }
    assertThat(newHash).isNotEqualTo(oldHash);
  }

  private String currentHash() {
    try (Backend b = dataDir.openBackend(Backends.factory(ENGINE), BackendOptions.defaults())) {
      return CanonicalHash.hex(b);
    }
  }

  private void assertClean() {
    assertThat(swap.incomingDir()).doesNotExist();
    assertThat(swap.oldDir()).doesNotExist();
    assertThat(swap.marker()).doesNotExist();
  }

  @Test
  void commitSwapsTheNewBackendIn() {
    swap.commit("term=2 index=500");
    assertClean();
    assertThat(currentHash()).isEqualTo(newHash);
  }

  @Test
  void crashBeforeTheMarkerKeepsTheOldBackend() {
    // the transfer was complete or not: without the marker it never counts
    assertThat(swap.recover()).isFalse();
    assertClean();
    assertThat(currentHash()).isEqualTo(oldHash);
  }

  @Test
  void crashAfterTheMarkerRollsForward() throws Exception {
    Files.writeString(swap.marker(), "term=2 index=500\n");
    assertThat(swap.recover()).isTrue();
    assertClean();
    assertThat(currentHash()).isEqualTo(newHash);
  }

  @Test
  void crashAfterMovingTheOldBackendAsideRollsForward() throws Exception {
    Files.writeString(swap.marker(), "term=2 index=500\n");
    Files.move(dataDir.backendDir(), swap.oldDir());
    assertThat(swap.recover()).isTrue();
    assertClean();
    assertThat(currentHash()).isEqualTo(newHash);
  }

  @Test
  void crashAfterMovingTheNewBackendInFinishesCleanup() throws Exception {
    Files.writeString(swap.marker(), "term=2 index=500\n");
    Files.move(dataDir.backendDir(), swap.oldDir());
    Files.move(swap.incomingDir(), dataDir.backendDir());
    assertThat(swap.recover()).isTrue();
    assertClean();
    assertThat(currentHash()).isEqualTo(newHash);
  }

  @Test
  void aSealedSwapIsRolledForwardByTheNextRecoverOnly() {
    assertThat(swap.sealed()).isFalse();
    swap.seal("test");
    assertThat(swap.sealed()).isTrue();
    assertThat(currentHash()).as("sealing does not touch the live backend").isEqualTo(oldHash);
    assertThat(swap.recover()).isTrue();
    assertThat(currentHash()).isEqualTo(newHash);
    assertClean();
  }
}
