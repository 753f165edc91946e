package dev.strata.server.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The backend handle's replacement contract, on each real engine. */
class SwappableBackendTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void replaceWaitsForTheLastViewThenEveryCallSeesTheNewInstance(String engine) throws Exception {
    Backend old = SnapshotEngines.open(engine, tmp.resolve("old"));
    SnapshotEngines.fill(old, 10, 16, 1, 10);
    String newHash;
    try (Backend b = SnapshotEngines.open(engine, tmp.resolve("new"))) {
      SnapshotEngines.fill(b, 20, 16, 2, 500);
      newHash = CanonicalHash.hex(b);
    }
    try (SwappableBackend handle = new SwappableBackend(old)) {
      WriteBatch stale = handle.newBatch();
      stale.put(Bucket.KEY, SnapshotEngines.ascii("stale"), new byte[1]);
      ReadView view = handle.readView();
      AtomicBoolean swapped = new AtomicBoolean();
      CompletableFuture<Void> replace = CompletableFuture.runAsync(() -> handle.replace(
          () -> swapped.set(true), () -> SnapshotEngines.open(engine, tmp.resolve("new"))));
      // a negative check, not synchronisation: the replacement must still be waiting for the view
      assertThat(replace).failsWithin(300, TimeUnit.MILLISECONDS)
          .withThrowableOfType(java.util.concurrent.TimeoutException.class);
      assertThat(swapped).isFalse();
      assertThat(view.get(Bucket.META, SnapshotEngines.ascii("consistent_index"))).isNotNull(); // still usable
      view.close();
      replace.get(30, TimeUnit.SECONDS);
      assertThat(swapped).isTrue();

      assertThatThrownBy(old::readView).as("the old instance is closed").isInstanceOf(IllegalStateException.class);
      assertThat(CanonicalHash.hex(handle)).isEqualTo(newHash);
      assertThat(handle.stats().engine()).isEqualTo(engine);
      assertThatThrownBy(() -> handle.commit(stale)).as("a batch of the old instance")
          .isInstanceOf(RuntimeException.class);
      WriteBatch fresh = handle.newBatch();
      fresh.put(Bucket.KEY, SnapshotEngines.ascii("fresh"), new byte[1]);
      handle.commit(fresh);
      try (ReadView v = handle.readView()) {
        assertThat(v.get(Bucket.KEY, SnapshotEngines.ascii("fresh"))).isNotNull();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree"})
  void aFailedSwapLeavesTheHandleClosedRatherThanOnAClosedEngine(String engine) {
    SwappableBackend handle = new SwappableBackend(SnapshotEngines.open(engine, tmp.resolve("old")));
    assertThatThrownBy(() -> handle.replace(() -> {
      throw new IllegalStateException("rename failed");
    }, () -> SnapshotEngines.open(engine, tmp.resolve("new")))).hasMessage("rename failed");
    assertThatThrownBy(handle::readView).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(handle::stats).isInstanceOf(IllegalStateException.class);
    handle.close(); // idempotent
  }
}
