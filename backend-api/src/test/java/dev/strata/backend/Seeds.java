package dev.strata.backend;

/**
 * The seed of a randomized test: {@code -Dstrata.seed=N} replays a run, otherwise a fresh one is drawn.
 * Always printed, so a failure can be replayed.
 */
public final class Seeds {

  private Seeds() {}

  public static long seed(String testName) {
    String prop = System.getProperty("strata.seed");
    long seed = prop == null || prop.isBlank() ? System.nanoTime() ^ 0x5DEECE66DL : Long.parseLong(prop.trim());
    System.out.println(testName + ": seed=" + seed + " (replay with -Dstrata.seed=" + seed + ")");
    return seed;
  }
}
