package dev.strata.server.etcdserver;

import dev.strata.server.raft.RaftNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Coalesced linearizable read barrier (etcd's {@code linearizableReadLoop}): at most one ReadIndex
 * round is in flight; reads arriving meanwhile share the next round, which starts when the current one
 * ends. A read that joins a round started after it arrived is linearizable, and one round serves any
 * number of reads.
 */
final class ReadBarrier {

  private final RaftNode raft;
  private final Executor executor;
  private final Object lock = new Object();
  private CompletableFuture<Void> current;
  private CompletableFuture<Void> next;

  ReadBarrier(RaftNode raft, Executor executor) {
    this.raft = raft;
    this.executor = executor;
  }

  /** Completes (on {@code executor}) once this member has applied all that was committed at the call. */
  CompletableFuture<Void> await() {
    synchronized (lock) {
      if (current == null) {
        current = new CompletableFuture<>();
        start(current);
        return current;
      }
      if (next == null) {
        next = new CompletableFuture<>();
      }
      return next;
    }
  }

  private void start(CompletableFuture<Void> round) {
    raft.readIndex().whenCompleteAsync((v, err) -> {
      // Start the next round before releasing this one's readers, so their work overlaps it.
      synchronized (lock) {
        current = next;
        next = null;
        if (current != null) {
          start(current);
        }
      }
      if (err != null) {
        round.completeExceptionally(err);
      } else {
        round.complete(null);
      }
    }, executor);
  }
}
