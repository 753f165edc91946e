package dev.strata.server.raft;

import java.nio.ByteBuffer;

/**
 * What the Raft state machine drives: the member's applied state. Every method except
 * {@link #appliedIndex()}/{@link #appliedTerm()} is called on Ratis' single apply thread.
 */
public interface Applier {

  /** Index of the last entry whose effects are in the store (durable or not); 0 for a new member. */
  long appliedIndex();

  /** Term of the entry at {@link #appliedIndex()}; 0 for a new member (real entries have terms >= 1). */
  long appliedTerm();

  /**
   * Applies one committed entry. Entries at or below the applied (term, index) must be ignored (they
   * are replayed after a restart). A request-level failure is part of the result, not an exception: any
   * exception thrown here means the member can no longer apply and must stop.
   */
  void apply(long term, long index, ByteBuffer entry);

  /** Makes every applied entry durable and returns the index it is durable up to. */
  long sync();
}
