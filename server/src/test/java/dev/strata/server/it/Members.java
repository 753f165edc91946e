package dev.strata.server.it;

import java.util.Arrays;
import java.util.stream.Stream;

/**
 * The members a parameterized server test runs on: {@code btree} and {@code lsm} by default;
 * {@code -Dstrata.it.engines=etcd} (or e.g. {@code btree,etcd}) runs the same test on real etcd,
 * which is how the expectations themselves are checked.
 */
final class Members {
  private Members() {}

  /** For {@code @MethodSource("dev.strata.server.it.Members#engines")}. */
  static Stream<String> engines() {
    return Arrays.stream(System.getProperty("strata.it.engines", "btree,lsm").split(","))
        .map(String::trim).filter(s -> !s.isEmpty());
  }

  static ServerProcess start(String engine, String... extraArgs) {
    return engine.equals("etcd") ? EtcdProcess.start(extraArgs) : StrataProcess.start(engine, extraArgs);
  }
}
