package dev.strata.backend.btree;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Counts the LMDB read transactions this process has open, so that the memory map is only ever
 * remapped (map growth, the file swap of a defragmentation, close) while none is open.
 *
 * <p>Why: {@code mdb_env_set_mapsize} "may be called if no transactions are active in this process"
 * and LMDB does not check it ({@code lmdb.h}); an open read transaction or cursor still holds pointers
 * into the old mapping and would crash the JVM on its next use. Closing an environment under an open
 * transaction is just as fatal.
 *
 * <p>Read views cross threads, so a thread-owned lock ({@code ReentrantReadWriteLock}) cannot count
 * them; this is a counter behind one lock. An exclusive holder waits for the count to drain, and while
 * it is pending new transactions wait, so a steady stream of readers cannot starve a resize.
 */
final class TxnGate {

  /** How often a drain that is still waiting reports itself (see {@link #awaitExclusive}). */
  static final long SLOW_DRAIN_REPORT_SECONDS = 10;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final String closedMessage;
  private int open;
  private boolean exclusive;
  private boolean shut;

  TxnGate(String closedMessage) {
    this.closedMessage = closedMessage;
  }

  /**
   * Begins a transaction with {@code begin} under the gate's lock and counts it as open; the caller
   * must call {@link #exit()} exactly once when it ends. Waits while an exclusive holder is pending.
   * Beginning under the lock means a shut or exclusive gate never misses a transaction.
   *
   * @throws IllegalStateException if the gate is shut (the backend is closed)
   */
  <T> T enter(Supplier<T> begin) {
    lock.lock();
    try {
      while (exclusive && !shut) {
        changed.awaitUninterruptibly();
      }
      if (shut) {
        throw new IllegalStateException(closedMessage);
      }
      T txn = begin.get();
      open++;
      return txn;
    } finally {
      lock.unlock();
    }
  }

  /** Marks one transaction begun with {@link #enter} as ended. */
  void exit() {
    lock.lock();
    try {
      if (open <= 0) {
        throw new IllegalStateException("exit without enter");
      }
      open--;
      if (open == 0) {
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes exclusive access at once if no transaction is open; never waits. */
  boolean tryExclusive() {
    lock.lock();
    try {
      if (exclusive || open > 0) {
        return false;
      }
      exclusive = true;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Blocks new transactions, then waits until every open one has ended, running {@code onSlow} every
   * {@value #SLOW_DRAIN_REPORT_SECONDS} s of waiting (to name the views that hold it up). There is no
   * time limit: a read view may legitimately stay open for long (a hash of the whole store), and
   * failing the writer would halt the member. Release with {@link #releaseExclusive()}.
   */
  void awaitExclusive(Runnable onSlow) {
    boolean interrupted = false;
    lock.lock();
    try {
      exclusive = true;
      while (open > 0) {
        try {
          if (!changed.await(SLOW_DRAIN_REPORT_SECONDS, TimeUnit.SECONDS) && open > 0) {
            onSlow.run();
          }
        } catch (InterruptedException e) {
          // The remap must not start under an open transaction; keep waiting, restore the flag after.
          interrupted = true;
        }
      }
    } finally {
      lock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Ends exclusive access and lets waiting transactions begin. */
  void releaseExclusive() {
    lock.lock();
    try {
      exclusive = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Refuses every later {@link #enter} for good; transactions already open are not affected. */
  void shut() {
    lock.lock();
    try {
      shut = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Transactions open right now. */
  int openCount() {
    lock.lock();
    try {
      return open;
    } finally {
      lock.unlock();
    }
  }

  /** True while an exclusive holder waits or runs (a resize or a defragmentation swap). */
  boolean exclusivePending() {
    lock.lock();
    try {
      return exclusive;
    } finally {
      lock.unlock();
    }
  }
}
