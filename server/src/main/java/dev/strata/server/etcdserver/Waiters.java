package dev.strata.server.etcdserver;

import dev.strata.server.EtcdException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls waiting for their request to be applied, by request id (etcd's {@code wait.Wait}). Only the
 * member that admitted a request registers it; the apply thread completes it with the response or the
 * request's {@link EtcdException}.
 */
final class Waiters {

  private final ConcurrentHashMap<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  /** Registers a new request; the returned id travels in the Raft entry. */
  long register(CompletableFuture<Object> future) {
    long id = ids.incrementAndGet();
    pending.put(id, future);
    future.whenComplete((r, e) -> pending.remove(id));
    return id;
  }

  /** Called on the apply thread. */
  void complete(long id, Object response) {
    CompletableFuture<Object> f = pending.remove(id);
    if (f != null) {
      f.complete(response);
    }
  }

  /** Called on the apply thread. */
  void fail(long id, Throwable error) {
    CompletableFuture<Object> f = pending.remove(id);
    if (f != null) {
      f.completeExceptionally(error);
    }
  }

  /** Fails every waiting call (shutdown). */
  void failAll(Throwable error) {
    for (Long id : pending.keySet()) {
      fail(id, error);
    }
  }
}
