package dev.strata.server.concurrency;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * Go's {@code context.Context} for one call, reduced to what the recipes need: cancellation when the
 * client goes away, so that waits stop and, as in etcd, a lock or campaign key is cleaned up.
 * Thread-safe.
 */
public final class CallContext {

  private final List<Runnable> onCancel = new ArrayList<>();
  private boolean cancelled;

  /** A context that is never cancelled (etcd's {@code client.Ctx()}, used for clean-up). */
  public static CallContext background() {
    return new CallContext();
  }

  public synchronized boolean isCancelled() {
    return cancelled;
  }

  /** Cancels: runs every registered action once, on the calling thread. Idempotent. */
  public void cancel() {
    List<Runnable> run;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      run = new ArrayList<>(onCancel);
      onCancel.clear();
    }
    run.forEach(Runnable::run);
  }

  /**
   * Runs {@code action} when cancelled (at once if already cancelled); the returned handle
   * deregisters it.
   */
  public Runnable onCancel(Runnable action) {
    synchronized (this) {
      if (!cancelled) {
        onCancel.add(action);
        return () -> {
          synchronized (this) {
            onCancel.remove(action);
          }
        };
      }
    }
    action.run();
    return () -> { };
  }

  /** Go's {@code context.Canceled}. */
  static CancellationException canceled() {
    return new CancellationException("context canceled");
  }
}
