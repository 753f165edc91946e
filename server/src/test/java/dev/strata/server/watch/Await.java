package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.fail;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition another thread makes true, checking every millisecond, up to 30 s. */
final class Await {

  private Await() {}

  static void until(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + RecordingSink.TIMEOUT_MS * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      LockSupport.parkNanos(1_000_000L);
    }
  }
}
