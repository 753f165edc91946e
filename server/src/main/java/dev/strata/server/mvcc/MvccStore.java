package dev.strata.server.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.ReadView;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's MVCC key-value store over a {@link Backend}: revisions, the in-memory key index, Range, Put,
 * DeleteRange, Txn, Compact and HashKV with etcd 3.4/3.5 semantics and etcd's on-disk encoding.
 *
 * <h2>Thread rules</h2>
 * <ul>
 *   <li>Writes ({@link #put}, {@link #deleteRange}, {@link #txn}, {@link #compact},
 *       {@link #markApplied}, {@link #commitIfDue}, {@link #sync}) come from one thread, the apply
 *       thread. Each either succeeds or throws with the store unchanged.</li>
 *   <li>Reads ({@link #range}, {@link #readOnlyTxn}, {@link #hashKV}, the revision getters) may come
 *       from any thread and see every write applied so far, committed to the backend or not.</li>
 *   <li>A read-write lock guards the index and the pending batch: a write holds the write lock for the
 *       whole request, so readers never see half a txn; a read holds the read lock for the whole
 *       request (HashKV only while it snapshots its inputs). Methods named {@code …Locked} need the
 *       write lock held.</li>
 * </ul>
 *
 * <h2>Durability</h2>
 * Writes fill one backend batch, committed by {@link #commitIfDue} (every {@code batchMaxOps}
 * mutations or {@code batchInterval}) and by {@link #sync}. Each commit first writes the applied Raft
 * index and term ({@link #markApplied}) into META, in the same batch as the data they cover, so after
 * {@link #sync} the engine holds exactly everything up to {@link #appliedIndex()}.
 *
 * <h2>Watch hook</h2>
 * A {@link RevisionListener} ({@link #setRevisionListener}) gets every new revision's events from the
 * apply thread right after the write lock is released, so the write is visible to readers first;
 * {@link #readHistory} serves watchers catching up on past revisions.
 *
 * <p>The store does not own the backend: {@link #close} commits pending writes and the caller closes
 * the backend afterwards.
 */
public final class MvccStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MvccStore.class);

  /** Field number of {@code hash_revision} in etcd ≥ 3.5's HashKVResponse, absent from jetcd-grpc 0.8.5. */
  static final int HASH_REVISION_FIELD = 4;

  private final Backend backend;
  private final MvccOptions options;
  private final LongSupplier nanoClock;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** The SPI allows one committer at a time; sync runs outside {@link #lock} so readers go on. */
  private final ReentrantLock backendWriter = new ReentrantLock();
  private final TreeIndex index = new TreeIndex();
  private final PendingWrites pending;

  // Written under the write lock; volatile so that the getters need no lock.
  private volatile long currentRev;
  private volatile long compactRev;
  private volatile long appliedIndex;
  private volatile long appliedTerm;
  private volatile boolean closed;
  /** Read under the write lock by each write, so registration never races a revision (see setter). */
  private volatile RevisionListener listener;
  /** Lease attachment hook: called under the write lock, so the lessor changes with the revision. */
  private volatile LeaseAttachments leaseAttachments;

  // Guarded by the write lock.
  private boolean appliedDirty;
  private long lastCommitNanos;
  private Compaction compaction;

  private MvccStore(Backend backend, MvccOptions options, LongSupplier nanoClock) {
    this.backend = backend;
    this.options = options;
    this.nanoClock = nanoClock;
    this.pending = new PendingWrites(backend);
    this.lastCommitNanos = nanoClock.getAsLong();
  }

  /**
   * Opens the store on {@code backend}: reads META, rebuilds the key index from the KEY bucket and
   * finishes a compaction that was scheduled but not finished before a crash (as etcd does).
   */
  public static MvccStore open(Backend backend, MvccOptions options) {
    return open(backend, options, System::nanoTime);
  }

  /** {@link #open(Backend, MvccOptions)} with a fake clock for batching tests. */
  static MvccStore open(Backend backend, MvccOptions options, LongSupplier nanoClock) {
    MvccStore s = new MvccStore(backend, options, nanoClock);
    s.lock.writeLock().lock();
    try {
      s.restoreLocked();
    } finally {
      s.lock.writeLock().unlock();
    }
    return s;
  }

  private void restoreLocked() {
    long scheduled;
    try (ReadView view = backend.readView()) {
      appliedIndex = Meta.readUint64(view.get(Bucket.META, Meta.CONSISTENT_INDEX));
      appliedTerm = Meta.readUint64(view.get(Bucket.META, Meta.TERM));
      compactRev = Meta.readCompactRev(view.get(Bucket.META, Meta.FINISHED_COMPACT_REV), -1);
      scheduled = Meta.readCompactRev(view.get(Bucket.META, Meta.SCHEDULED_COMPACT_REV), -1);
      // Compaction may have removed the newest entries (a tombstone at the compaction revision).
      currentRev = Math.max(IndexRestore.restore(view, index), compactRev);
    }
    if (scheduled > compactRev) {
      // etcd skips a scheduled compaction at revision 0 here; resuming it is harmless and keeps
      // compactRevision() what it was before the crash.
      LOG.info("resuming interrupted compaction scheduledCompactRev={} finishedCompactRev={}",
          scheduled, compactRev);
      currentRev = Math.max(currentRev, scheduled);
      startCompactionLocked(scheduled);
      finishCompactionLocked();
    }
    LOG.info("mvcc store opened revision={} compactRevision={} appliedIndex={} appliedTerm={} keys={}",
        currentRev, compactRev, appliedIndex, appliedTerm, index.size());
  }

  // ---- writes: apply thread only ----

  public PutResponse put(PutRequest r) {
    requireKey(r.getKey());
    return write(txn -> KvOps.put(txn, r, false, options.leaseExists()));
  }

  public DeleteRangeResponse deleteRange(DeleteRangeRequest r) {
    requireKey(r.getKey());
    return write(txn -> KvOps.deleteRange(txn, r));
  }

  /** Any txn; one that changes something takes exactly one new main revision. */
  public TxnResponse txn(TxnRequest r) {
    boolean readOnly = TxnOps.isReadOnly(r);
    return write(txn -> TxnOps.run(txn, r, !readOnly, options.leaseExists()));
  }

  /**
   * Compacts at {@code r.revision}: requires {@code compactRevision() < revision <= currentRevision()}.
   * Reads below the revision fail at once; the KEY bucket entries no longer needed are deleted before
   * this returns if {@code physical}, else in chunks by later {@link #commitIfDue} calls.
   */
  public CompactionResponse compact(CompactionRequest r) {
    lock.writeLock().lock();
    try {
      checkOpen();
      long rev = r.getRevision();
      if (rev <= compactRev) {
        throw EtcdError.COMPACTED.exception();
      }
      if (rev > currentRev) {
        throw EtcdError.FUTURE_REV.exception();
      }
      if (compaction != null) {
        finishCompactionLocked(); // compactions run in order, like etcd's FIFO scheduler
      }
      startCompactionLocked(rev);
      if (r.getPhysical()) {
        finishCompactionLocked();
      }
      return CompactionResponse.newBuilder().setHeader(KvOps.header(currentRev)).build();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Records that the Raft entry {@code (raftTerm, raftIndex)} has been applied; the pair is written to
   * META ({@code consistent_index}, {@code term}) in the batch holding the entry's writes.
   *
   * @throws IllegalArgumentException if the index or term goes backwards
   */
  public void markApplied(long raftTerm, long raftIndex) {
    lock.writeLock().lock();
    try {
      checkOpen();
      if (raftIndex < appliedIndex || raftTerm < appliedTerm) {
        throw new IllegalArgumentException("applied position must not go backwards: ("
            + appliedTerm + ", " + appliedIndex + ") -> (" + raftTerm + ", " + raftIndex + ")");
      }
      appliedIndex = raftIndex;
      appliedTerm = raftTerm;
      appliedDirty = true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Commits the pending batch if it holds {@code batchMaxOps} mutations or {@code batchInterval}
   * passed since the last commit; advances an unfinished compaction by one chunk. Call it after each
   * applied entry and periodically while idle.
   */
  public void commitIfDue() {
    lock.writeLock().lock();
    try {
      checkOpen();
      if (compaction != null) {
        compaction.step(backend, pending, Compaction.CHUNK);
        if (compaction.done()) {
          compaction = null;
        }
        commitLocked(); // etcd commits every compaction chunk at once, too
        return;
      }
      boolean due = pending.size() >= options.batchMaxOps()
          || nanoClock.getAsLong() - lastCommitNanos >= options.batchInterval().toNanos();
      if (due && (pending.size() > 0 || appliedDirty)) {
        commitLocked();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Commits the pending batch, then makes the backend durable: all up to {@link #appliedIndex()}. */
  public void sync() {
    lock.writeLock().lock();
    try {
      checkOpen();
      commitLocked();
    } finally {
      lock.writeLock().unlock();
    }
    backendWriter.lock();
    try {
      backend.sync();
    } finally {
      backendWriter.unlock();
    }
  }

  /**
   * Replaces the whole store state with what the backend holds once {@code swapBackend} has run (a
   * snapshot install swaps the engine instance under the member's backend handle): pending writes and
   * an unfinished compaction of the old content are dropped, then META and the key index are read
   * again, as at {@link #open}. Readers wait on the write lock and then see only the new content.
   *
   * <p>Apply thread only, while Raft applies nothing. The revision listener and lease hook stay
   * registered but hear nothing of the jump (no events exist for it): the caller restores them.
   */
  public void reload(Runnable swapBackend) {
    lock.writeLock().lock();
    try {
      checkOpen();
      compaction = null;
      appliedDirty = false;
      swapBackend.run();
      pending.discard();
      index.clear();
      restoreLocked();
      lastCommitNanos = nanoClock.getAsLong();
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---- reads: any thread ----

  public RangeResponse range(RangeRequest r) {
    requireKey(r.getKey());
    return read(txn -> KvOps.range(txn, r));
  }

  /**
   * A txn whose ops are all Ranges, served without the apply thread: no revision bump, no write.
   *
   * @throws IllegalArgumentException if some op is not a Range
   */
  public TxnResponse readOnlyTxn(TxnRequest r) {
    if (!TxnOps.isReadOnly(r)) {
      throw new IllegalArgumentException("readOnlyTxn needs a txn whose ops are all ranges");
    }
    return read(txn -> TxnOps.run(txn, r, false, options.leaseExists()));
  }

  /**
   * etcd's HashKV at {@code revision} (0: current). {@code compact_revision} is the compaction
   * revision, {@code hash_revision} (field 4, an unknown field to jetcd-grpc 0.8.5) the revision
   * hashed; the header carries the current revision.
   */
  public HashKVResponse hashKV(long revision) {
    long cur;
    long comp;
    long rev;
    Set<Revision> keep;
    NavigableMap<ByteKey, byte[]> buffered;
    Compaction unfinished;
    ReadView view;
    lock.readLock().lock();
    try {
      checkOpen();
      cur = currentRev;
      comp = compactRev;
      // etcd ≤ 3.4.26 / ≤ 3.5.9 also refuse revision == compactRev (the installed 3.4.23 does).
      if (revision > 0 && revision <= comp) {
        throw EtcdError.COMPACTED.exception();
      }
      if (revision > 0 && revision > cur) {
        throw EtcdError.FUTURE_REV.exception();
      }
      rev = revision == 0 ? cur : revision;
      keep = index.keep(rev);
      buffered = pending.keySnapshot(ByteKey.wrap(HashKv.upperBound(rev)));
      unfinished = compaction;
      view = backend.readView(); // consistent with the buffer copy: commits need the write lock
    } finally {
      lock.readLock().unlock();
    }
    int hash;
    try (view) {
      hash = HashKv.hash(view, buffered, rev, comp, keep, unfinished);
    }
    return HashKVResponse.newBuilder()
        .setHeader(KvOps.header(cur))
        .setHash(hash)
        .setCompactRevision(comp)
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(HASH_REVISION_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(rev).build())
            .build())
        .build();
  }

  /** The store revision: 1 for a fresh store, then bumped once per changing request. */
  public long currentRevision() {
    return currentRev;
  }

  /** The last compaction revision, -1 if the store was never compacted. */
  public long compactRevision() {
    return compactRev;
  }

  /**
   * Registers the watch hook (null removes it). Call before the apply thread starts; it is safe later
   * too: the returned revision is the last one the listener will not be told about, and every later
   * revision is published to it.
   *
   * @return the store revision at registration
   */
  public long setRevisionListener(RevisionListener l) {
    lock.writeLock().lock();
    try {
      checkOpen();
      listener = l;
      return currentRev;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * The events of revisions {@code [fromRev, min(toRev, currentRevision())]} from the KEY bucket and
   * the read buffer, in revision order, cut after about {@code maxEntries} entries at a revision
   * boundary (etcd's watch catch-up read). Any thread; holds the read lock only to snapshot.
   *
   * @return a compacted chunk if {@code fromRev < compactRevision()}
   */
  public HistoryChunk readHistory(long fromRev, long toRev, int maxEntries) {
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("maxEntries must be > 0, got " + maxEntries);
    }
    NavigableMap<ByteKey, byte[]> buffered;
    ReadView view;
    long to;
    lock.readLock().lock();
    try {
      checkOpen();
      if (fromRev < compactRev) {
        return HistoryChunk.compacted(compactRev);
      }
      to = Math.min(toRev, currentRev);
      if (fromRev > to) {
        return new HistoryChunk(-1, List.of(), to);
      }
      ByteKey from = ByteKey.wrap(Revision.mainPrefix(fromRev));
      ByteKey end = ByteKey.wrap(Revision.mainPrefix(to + 1));
      buffered = pending.keyRange(from, end);
      view = backend.readView(); // consistent with the buffer copy: commits need the write lock
    } finally {
      lock.readLock().unlock();
    }
    try (view) {
      return History.read(view, buffered, Revision.mainPrefix(fromRev), Revision.mainPrefix(to + 1),
          to, maxEntries);
    }
  }

  /**
   * Registers the lessor's attachment hook (null removes it); call before the apply thread starts.
   * It sees every write's events under the write lock (see {@link LeaseAttachments}).
   */
  public void setLeaseAttachments(LeaseAttachments hook) {
    lock.writeLock().lock();
    try {
      checkOpen();
      leaseAttachments = hook;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Stages a LEASE bucket entry (etcd's encoding: 8-byte big-endian id → leasepb.Lease) in the current
   * batch, so it becomes durable with the applied index that covers it. Apply thread only; takes
   * ownership of {@code value}.
   */
  public void putLease(long leaseId, byte[] value) {
    lock.writeLock().lock();
    try {
      checkOpen();
      pending.putLease(Meta.uint64(leaseId), value);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Stages a MEMBERS bucket entry in the current batch, so it becomes durable with the applied index
   * that covers it. Apply thread only; takes ownership of both arrays.
   */
  public void putMember(byte[] key, byte[] value) {
    lock.writeLock().lock();
    try {
      checkOpen();
      pending.putMember(key, value);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Stages a put ({@code value} non-null) or delete of a MEMBERS or MEMBERS_REMOVED entry in the current
   * batch; apply thread only; takes ownership of the arrays.
   */
  public void writeMembership(Bucket bucket, byte[] key, byte[] value) {
    if (bucket != Bucket.MEMBERS && bucket != Bucket.MEMBERS_REMOVED) {
      throw new IllegalArgumentException("not a membership bucket: " + bucket);
    }
    lock.writeLock().lock();
    try {
      checkOpen();
      pending.writeMembership(bucket, key, value);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Stages the removal of a LEASE bucket entry in the current batch; apply thread only. */
  public void deleteLease(long leaseId) {
    lock.writeLock().lock();
    try {
      checkOpen();
      pending.deleteLease(Meta.uint64(leaseId));
    } finally {
      lock.writeLock().unlock();
    }
  }

  public long appliedIndex() {
    return appliedIndex;
  }

  public long appliedTerm() {
    return appliedTerm;
  }

  /**
   * Commits pending writes (an unfinished physical compaction resumes at the next open) and makes
   * the store unusable. Does not close the backend. Idempotent.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        commitLocked();
        closed = true;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---- internals ----

  private <T> T write(Function<StoreTxn, T> op) {
    T resp;
    RevisionListener publishTo = null;
    long published = 0;
    List<Event> events = null;
    lock.writeLock().lock();
    try (LazyView view = new LazyView(backend)) {
      checkOpen();
      StoreTxn txn = new StoreTxn(index, pending, view, currentRev, compactRev, true);
      RevisionListener l = listener;
      LeaseAttachments attachments = leaseAttachments;
      if (l != null || attachments != null) {
        txn.recordEvents();
      }
      try {
        resp = op.apply(txn);
      } catch (RuntimeException e) {
        txn.rollback();
        throw e;
      }
      if (txn.changes() > 0) {
        txn.stageInto(pending);
        currentRev = txn.rev() + 1;
        if (attachments != null) {
          attachments.onChanges(txn.events());
        }
        if (l != null) {
          publishTo = l;
          published = currentRev;
          events = Collections.unmodifiableList(txn.events());
        }
      }
    } finally {
      lock.writeLock().unlock();
    }
    if (publishTo != null) {
      // Outside the lock: readers (and watchers catching up) already see this revision.
      publishTo.onRevision(published, events);
    }
    return resp;
  }

  private <T> T read(Function<StoreTxn, T> op) {
    lock.readLock().lock();
    try (LazyView view = new LazyView(backend)) {
      checkOpen();
      return op.apply(new StoreTxn(index, pending, view, currentRev, compactRev, false));
    } finally {
      lock.readLock().unlock();
    }
  }

  private void startCompactionLocked(long rev) {
    compactRev = rev;
    pending.putMeta(Meta.SCHEDULED_COMPACT_REV, Meta.compactRev(rev));
    Set<Revision> keep = index.compact(rev);
    // Persist the schedule (a restart resumes it) and move every entry ≤ rev into the backend,
    // which is what the chunked scan reads.
    commitLocked();
    compaction = new Compaction(rev, keep);
  }

  private void finishCompactionLocked() {
    while (!compaction.done()) {
      compaction.step(backend, pending, Compaction.CHUNK);
      commitLocked();
    }
    compaction = null;
  }

  private void commitLocked() {
    if (appliedDirty) {
      // etcd's pre-commit hook: the applied position travels in the batch of the data it covers.
      pending.putMeta(Meta.CONSISTENT_INDEX, Meta.uint64(appliedIndex));
      pending.putMeta(Meta.TERM, Meta.uint64(appliedTerm));
      appliedDirty = false;
    }
    backendWriter.lock();
    try {
      pending.commit();
    } finally {
      backendWriter.unlock();
    }
    lastCommitNanos = nanoClock.getAsLong();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("MvccStore is closed");
    }
  }

  private static void requireKey(ByteString key) {
    if (key.isEmpty()) {
      throw EtcdError.KEY_NOT_PROVIDED.exception();
    }
  }
}
