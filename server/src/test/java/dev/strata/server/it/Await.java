package dev.strata.server.it;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded waiting for a condition that has no event to wait on (e.g. asynchronous compaction). */
final class Await {
  private Await() {}

  /** Polls with backoff (1 ms → 100 ms) until the condition holds or the timeout passes. */
  static boolean until(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseNanos = Duration.ofMillis(1).toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      LockSupport.parkNanos(pauseNanos);
      pauseNanos = Math.min(pauseNanos * 2, Duration.ofMillis(100).toNanos());
    }
  }
}
