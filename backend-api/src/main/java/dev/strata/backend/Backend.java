package dev.strata.backend;

import java.nio.file.Path;

/**
 * One member's storage engine: an ordered key-value store with a fixed set of {@link Bucket}s.
 *
 * <h2>Contract (every engine, tested by {@code BackendContractTest})</h2>
 * <ul>
 *   <li><b>Atomicity.</b> {@link #commit} applies a whole {@link WriteBatch} or nothing, across all
 *       buckets it touches. After a crash (kill -9 or power loss) the recovered state is exactly the
 *       state after some prefix of the committed batches that includes every batch committed before
 *       the last completed {@link #sync()}: never a partial batch, never a hole.</li>
 *   <li><b>Durability is explicit.</b> {@link #commit} makes a batch visible to later read views but
 *       not durable; {@link #sync()} makes everything committed so far durable. Strata's Raft log is
 *       the write-ahead log, so engines never fsync per commit.</li>
 *   <li><b>Isolation.</b> A {@link ReadView} sees the state as of its creation; later commits are
 *       invisible to it. Read views may be used from any thread, one thread at a time.</li>
 *   <li><b>Ordering.</b> Keys are ordered by unsigned lexicographic byte order within a bucket.</li>
 *   <li><b>Keys.</b> Non-null, 1..{@link #MAX_KEY_BYTES} bytes. Values are non-null and may be empty.</li>
 *   <li><b>Ownership.</b> Every {@code byte[]} an engine returns is a copy owned by the caller; every
 *       {@code byte[]} passed in may be reused by the caller as soon as the call returns.</li>
 *   <li><b>Threads.</b> One writer: {@link #commit}, {@link #sync()}, {@link #defragment()} are called
 *       by one thread at a time (Strata's apply thread). Read views may be opened concurrently from
 *       any thread. {@link #commit} and {@link #defragment()} may wait for open read views (btree grows
 *       its map only when no view is open), so the writer must not hold a read view of its own across
 *       them, and no view may be left open indefinitely.</li>
 *   <li><b>Range bounds.</b> A {@code null} bound is open; an empty lower bound is the start of the
 *       bucket; bounds may be longer than {@link #MAX_KEY_BYTES}; {@code to <= from} is an empty range.</li>
 *   <li><b>Close.</b> Every method of a closed backend, and of read views and cursors it handed out,
 *       throws {@link IllegalStateException}. {@link #close()} is idempotent and makes committed
 *       batches durable, as {@link #sync()} would. Close read views before the backend.</li>
 *   <li><b>Failure.</b> An I/O or engine error throws {@link BackendFailureException}; the caller
 *       (the member) must stop rather than continue on a state it cannot trust. Nothing committed
 *       before the failure is lost.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

  /** Longest key, in bytes, every engine accepts (LMDB's limit; etcd's KEY bucket uses 17-18 bytes). */
  int MAX_KEY_BYTES = 511;

  /** Opens a consistent point-in-time view over all buckets. Close it promptly: it pins old data. */
  ReadView readView();

  /** Starts an empty batch owned by the caller; commit it with {@link #commit} at most once. */
  WriteBatch newBatch();

  /**
   * Applies the batch atomically across buckets; visible to read views opened afterwards; not durable.
   *
   * @throws IllegalArgumentException if the batch was not created by this backend
   * @throws IllegalStateException if the batch was already committed, or the backend is closed
   */
  void commit(WriteBatch batch);

  /** Makes every committed batch survive kill -9 and power loss. Blocks until done. */
  void sync();

  /**
   * Reclaims space left by deletions. Promises only reclaim, not how long it blocks writers
   * (btree: compacting copy and swap; lsm: background compaction of the whole key space).
   */
  void defragment();

  /**
   * Writes a consistent copy of everything committed so far into {@code dir} (which must not exist or
   * be empty) that this engine's factory can open as a backend.
   */
  void exportTo(Path dir);

  /** Cheap size and content estimates; never blocks writers. */
  BackendStats stats();

  /** Syncs and releases every file and native resource. Idempotent. */
  @Override
  void close();
}
