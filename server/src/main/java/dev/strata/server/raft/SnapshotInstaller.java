package dev.strata.server.raft;

import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Brings a lagging follower's store up to a leader snapshot when the leader has purged the log the
 * follower needs (Ratis notification mode). Two steps, because Ratis splits them: {@link #install}
 * transfers while the member keeps applying what it has; once it completes, Ratis pauses the state
 * machine and, on the apply thread with nothing applying, {@link #reload} makes the snapshot the live
 * state. Ratis-free on purpose: the implementation lives with the store, not with the Raft adapter.
 */
public interface SnapshotInstaller {

  /** A Raft position: the (term, index) of the last entry a snapshot holds. */
  record Position(long term, long index) {}

  /**
   * Transfers and verifies a snapshot that covers at least up to {@code leaderFirstIndex - 1}, without
   * touching the live state; completes with its position.
   *
   * @param leader the current leader's member id (0 = none known), asked again on every retry
   */
  CompletableFuture<Position> install(LongSupplier leader, long leaderFirstIndex);

  /**
   * Replaces the live state with the installed snapshot. Apply thread, state machine paused; any
   * exception means the member cannot go on (it halts).
   */
  void reload();

  /** No transfer: the follower stays behind and logs why (tests of the Raft adapter alone). */
  static SnapshotInstaller unsupported() {
    return new SnapshotInstaller() {
      @Override
      public CompletableFuture<Position> install(LongSupplier leader, long leaderFirstIndex) {
        return new CompletableFuture<>();
      }

      @Override
      public void reload() {
        throw new IllegalStateException("snapshot install is not supported here");
      }
    };
  }
}
