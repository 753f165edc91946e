package dev.strata.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Waiting and output-parsing helpers the cluster tests share. */
final class ClusterTesting {

  private ClusterTesting() {}

  /** Bounded polling with backoff (20 → 500 ms) for conditions that have no event to wait on. */
  static void await(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = Duration.ofMillis(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within " + timeout).isLessThan(deadline);
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, Duration.ofMillis(500).toNanos());
    }
  }

  /** Every first group of {@code p} in {@code text} (e.g. a field of etcdctl's JSON output). */
  static List<String> all(Pattern p, String text) {
    List<String> out = new ArrayList<>();
    Matcher m = p.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The first group of the first match; fails the test if there is none. */
  static String first(Pattern p, String text) {
    List<String> found = all(p, text);
    assertThat(found).as(text).isNotEmpty();
    return found.get(0);
  }
}
