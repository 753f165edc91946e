package dev.strata.server.snapshot;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendStats;
import dev.strata.backend.Cursor;
import dev.strata.backend.Bucket;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The member's one handle on its backend, whose engine instance can be replaced while the member runs
 * (snapshot install). Every component that reads or writes the store holds this handle, never the
 * engine instance, so after {@link #replace} they all see the new content without being rebuilt.
 *
 * <p>Read views are counted per engine instance. {@link #replace} holds back new views and engine calls,
 * waits until the last view of the old instance is closed, closes it, runs the file swap and opens the
 * new one. It does not let old views live on beside the new instance: both would live in
 * {@code member/backend}, and RocksDB keeps writing files by path (flushes, compactions), so the old
 * instance must be closed before its directory is renamed. The wait is short: every view holder
 * (a request, a watch catch-up chunk, a snapshot spool, HashKV) reads a bounded amount and closes.
 *
 * <p>Thread rules: any thread may call anything; {@link #replace} must not be called by a thread that
 * holds a view of this handle (it would wait for itself).
 */
public final class SwappableBackend implements Backend {

  /** One engine instance and the views open on it. Guarded by the handle's monitor. */
  private static final class Generation {
    final Backend backend;
    int openViews;

    Generation(Backend backend) {
      this.backend = backend;
    }
  }

  private Generation current;
  /** Engine calls in flight (other than views); {@link #replace} waits for them too. */
  private int callsInFlight;
  private boolean replacing;
  private boolean closed;

  public SwappableBackend(Backend initial) {
    this.current = new Generation(initial);
  }

  /**
   * Replaces the engine instance: waits until no view or call uses the current one, closes it, runs
   * {@code swapFiles} (e.g. the crash-safe rename of the snapshot into place), then installs what
   * {@code open} returns. If {@code swapFiles} or {@code open} throws, the handle is closed (the member
   * must halt: its old engine is already closed) and the exception propagates.
   */
  public void replace(Runnable swapFiles, Supplier<Backend> open) {
    Generation old;
    synchronized (this) {
      checkOpen();
      if (replacing) {
        throw new IllegalStateException("a backend replacement is already running");
      }
      replacing = true;
      boolean interrupted = false;
      while (current.openViews > 0 || callsInFlight > 0) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true; // finish the swap: stopping half-way would leave no backend at all
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      old = current;
    }
    Backend next = null;
    try {
      old.backend.close();
      swapFiles.run();
      next = open.get();
    } finally {
      synchronized (this) {
        replacing = false;
        if (next != null) {
          current = new Generation(next);
        } else {
          closed = true;
        }
        notifyAll();
      }
    }
  }

  /** The engine instance for one call; must be paired with {@link #release}. */
  private synchronized Backend acquire() {
    awaitNotReplacing();
    callsInFlight++;
    return current.backend;
  }

  private synchronized void release() {
    if (--callsInFlight == 0 && replacing) {
      notifyAll();
    }
  }

  private void awaitNotReplacing() {
    boolean interrupted = false;
    while (replacing) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    checkOpen();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("backend is closed");
    }
  }

  @Override
  public ReadView readView() {
    Generation g;
    synchronized (this) {
      awaitNotReplacing();
      g = current;
      g.openViews++;
    }
    try {
      return new CountedView(g, g.backend.readView());
    } catch (RuntimeException e) {
      viewClosed(g);
      throw e;
    }
  }

  private synchronized void viewClosed(Generation g) {
    if (--g.openViews == 0 && replacing) {
      notifyAll();
    }
  }

  @Override
  public WriteBatch newBatch() {
    Backend b = acquire();
    try {
      return b.newBatch();
    } finally {
      release();
    }
  }

  /** A batch made before a {@link #replace} belongs to the old instance and is refused by the new one. */
  @Override
  public void commit(WriteBatch batch) {
    Backend b = acquire();
    try {
      b.commit(batch);
    } finally {
      release();
    }
  }

  @Override
  public void sync() {
    Backend b = acquire();
    try {
      b.sync();
    } finally {
      release();
    }
  }

  @Override
  public void defragment() {
    Backend b = acquire();
    try {
      b.defragment();
    } finally {
      release();
    }
  }

  @Override
  public void exportTo(Path dir) {
    Backend b = acquire();
    try {
      b.exportTo(dir);
    } finally {
      release();
    }
  }

  @Override
  public BackendStats stats() {
    Backend b = acquire();
    try {
      return b.stats();
    } finally {
      release();
    }
  }

  /** Closes the current instance; views still open on it throw on use, as the engines' own do. */
  @Override
  public void close() {
    Backend b;
    synchronized (this) {
      if (closed) {
        return;
      }
      awaitNotReplacing();
      closed = true;
      b = current.backend;
    }
    b.close();
  }

  /** A view that tells its generation when it closes; idempotent close, like the engines' views. */
  private final class CountedView implements ReadView {
    private final Generation generation;
    private final ReadView view;
    private boolean done;

    CountedView(Generation generation, ReadView view) {
      this.generation = generation;
      this.view = view;
    }

    @Override
    public byte[] get(Bucket bucket, byte[] key) {
      return view.get(bucket, key);
    }

    @Override
    public Cursor cursor(Bucket bucket, byte[] fromInclusive, byte[] toExclusive) {
      return view.cursor(bucket, fromInclusive, toExclusive);
    }

    @Override
    public void close() {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
      }
      try {
        view.close();
      } finally {
        viewClosed(generation);
      }
    }
  }
}
