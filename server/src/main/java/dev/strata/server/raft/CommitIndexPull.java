package dev.strata.server.raft;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Brings a follower the commit index of the entries the leader acknowledged to it. The leader applied
 * a forwarded write, but this follower applies it (and answers its clients) only once it learns the new
 * commit index, and Ratis' leader sends no append for a commit-index change alone: it waits for the
 * next entry or heartbeat, up to half an election timeout (~500 ms per forwarded write, measured). A
 * ReadIndex makes the leader heartbeat this follower at once (Ratis'
 * {@code RaftServerImpl.readIndexAsync}), which carries the commit index.
 *
 * <p>One ReadIndex round at a time serves every forwarded write acknowledged before it started: a round
 * per write cost the leader a heartbeat broadcast per forwarded entry. Rounds repeat while a forwarded
 * write is still unapplied; a failed round (no leader) ends the pull, and the next acknowledged write
 * starts it again.
 */
final class CommitIndexPull {

  private final LongSupplier applied;
  private final Supplier<CompletableFuture<Void>> readIndex;
  private final Executor executor;
  /** The highest log index a forwarded write waits to apply, and whether a round runs for it. */
  private final AtomicLong wanted = new AtomicLong();
  private final AtomicBoolean pulling = new AtomicBoolean();

  /** {@code executor} runs the next round after one completes. */
  CommitIndexPull(LongSupplier applied, Supplier<CompletableFuture<Void>> readIndex, Executor executor) {
    this.applied = applied;
    this.readIndex = readIndex;
    this.executor = executor;
  }

  /** The leader acknowledged an entry at {@code index}: pull until this member applied it. */
  void acknowledged(long index) {
    wanted.accumulateAndGet(index, Math::max);
    if (pulling.compareAndSet(false, true)) {
      round();
    }
  }

  private void round() {
    if (applied.getAsLong() >= wanted.get()) {
      pulling.set(false);
      // a write acknowledged between the check and the reset found the pull running: take it over
      if (applied.getAsLong() < wanted.get() && pulling.compareAndSet(false, true)) {
        round();
      }
      return;
    }
    readIndex.get().whenCompleteAsync((v, err) -> {
      if (err != null) {
        pulling.set(false); // best effort: the next heartbeat brings the commit index anyway
      } else {
        round();
      }
    }, executor);
  }
}
