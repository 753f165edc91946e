package dev.strata.server.it;

import java.security.SecureRandom;

/** Seeds for randomized tests: {@code -Dstrata.seed=N} replays, otherwise a fresh one is printed. */
final class Seeds {
  private Seeds() {}

  static long seed(String test) {
    String configured = System.getProperty("strata.seed");
    long seed = configured == null || configured.isBlank()
        ? new SecureRandom().nextLong()
        : Long.parseLong(configured.trim());
    System.out.printf("[%s] seed=%d (replay: -Dstrata.seed=%d)%n", test, seed, seed);
    return seed;
  }
}
