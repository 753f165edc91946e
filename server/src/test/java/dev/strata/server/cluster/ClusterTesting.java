package dev.strata.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.cluster.LocalCluster.Node;
import dev.strata.server.it.Etcdctl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Waiting and output-parsing helpers the cluster tests share. */
final class ClusterTesting {

  /** Fields of {@code etcdctl endpoint status -w json}. */
  static final Pattern MEMBER_ID = Pattern.compile("\"member_id\":(\\d+)");
  static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");

  private ClusterTesting() {}

  /** The member id of {@code n}, from its own status. */
  static long memberId(Node n) {
    return Long.parseUnsignedLong(first(MEMBER_ID, status(n)));
  }

  /** The leader {@code n} knows, from its own status. */
  static long leaderId(Node n) {
    return Long.parseUnsignedLong(first(LEADER, status(n)));
  }

  /** {@code etcdctl member list -w json} through {@code n}; empty if the call failed. */
  static String memberList(Node n) {
    Etcdctl.Result r = new Etcdctl(n.clientUrl()).run("member", "list", "-w", "json");
    return r.exitCode() == 0 ? r.stdout() : "";
  }

  private static String status(Node n) {
    return new Etcdctl(n.clientUrl()).run("endpoint", "status", "-w", "json").stdout();
  }

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
