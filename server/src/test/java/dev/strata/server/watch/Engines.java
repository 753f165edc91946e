package dev.strata.server.watch;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The real engines every watch test runs on (as the mvcc tests' TestEngines). */
final class Engines {

  private Engines() {}

  static Stream<String> names() {
    return Stream.of("btree", "lsm");
  }

  static Backend open(String engine, Path dir) {
    BackendOptions small = BackendOptions.defaults()
        .withInitialSizeBytes(16 * BackendOptions.MIB)
        .withCacheBytes(8 * BackendOptions.MIB);
    return Backends.factory(engine).open(dir, small);
  }
}
