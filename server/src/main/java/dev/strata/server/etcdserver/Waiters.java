package dev.strata.server.etcdserver;

import dev.strata.server.EtcdException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls waiting for their request to be applied, by request id (etcd's {@code wait.Wait}). Only the
 * member that admitted a request registers it; the apply thread completes it with the response or the
 * request's {@link EtcdException}.
 *
 * <p>A call still waiting after the request timeout fails with a {@link TimeoutException} (etcd's
 * "request timed out"), found by one sweep every {@link #SWEEP_MS}: a JDK timer per call
 * ({@code orTimeout}) cost a scheduled task per write, and cancelling it was ~4% of the apply thread
 * under {@code check perf}. A timeout may fire up to one sweep late.
 */
final class Waiters implements AutoCloseable {

  static final long SWEEP_MS = 50;

  private record Pending(CompletableFuture<Object> future, long deadline) {}

  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final long timeoutNanos;
  private final ScheduledExecutorService sweeper;

  Waiters(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-request-timeouts");
      t.setDaemon(true);
      return t;
    });
    sweeper.scheduleWithFixedDelay(this::expire, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
  }

  /** Registers a new request; the returned id travels in the Raft entry. */
  long register(CompletableFuture<Object> future) {
    long id = ids.incrementAndGet();
    pending.put(id, new Pending(future, System.nanoTime() + timeoutNanos));
    future.whenComplete((r, e) -> pending.remove(id));
    return id;
  }

  /** Called on the apply thread. */
  void complete(long id, Object response) {
    Pending p = pending.remove(id);
    if (p != null) {
      p.future().complete(response);
    }
  }

  /** Called on the apply thread. */
  void fail(long id, Throwable error) {
    Pending p = pending.remove(id);
    if (p != null) {
      p.future().completeExceptionally(error);
    }
  }

  /** Fails every waiting call (shutdown). */
  void failAll(Throwable error) {
    for (Long id : pending.keySet()) {
      fail(id, error);
    }
  }

  /** Fails the calls whose request timeout passed. */
  void expire() {
    long now = System.nanoTime();
    for (Map.Entry<Long, Pending> e : pending.entrySet()) {
      if (now - e.getValue().deadline() >= 0) {
        fail(e.getKey(), new TimeoutException("request timed out after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
      }
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
