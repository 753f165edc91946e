package dev.strata.server.mvcc;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The real engines every MVCC and watch test runs on; a missing engine fails the test loudly. */
public final class TestEngines {

  private TestEngines() {}

  public static Stream<String> names() {
    return Stream.of("btree", "lsm");
  }

  public static Backend open(String engine, Path dir) {
    BackendOptions small = BackendOptions.defaults()
        .withInitialSizeBytes(16 * BackendOptions.MIB)
        .withCacheBytes(8 * BackendOptions.MIB);
    return Backends.factory(engine).open(dir, small);
  }
}
