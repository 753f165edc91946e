package dev.strata.server.lease;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import dev.strata.server.lease.proto.LeaseCheckpoint;
import dev.strata.server.mvcc.LeaseAttachments;
import io.etcd.jetcd.api.Event;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The in-memory lease table (etcd's {@code lessor}, {@code server/lease/lessor.go}): leases, the keys
 * attached to each, and — on the leader only ("primary") — each lease's deadline.
 *
 * <h2>Who calls what</h2>
 * <ul>
 *   <li>The apply thread: {@link #grant}, {@link #attachedKeys}, {@link #remove}, {@link #checkpoint}
 *       and, under the MVCC write lock, {@link #onChanges}. Identical on every member: no clock read
 *       decides anything there, so members never diverge.</li>
 *   <li>The leader loop: {@link #promote}, {@link #demote}, {@link #expired}, {@link #dueCheckpoints}.
 *       Only a primary lessor has deadlines; followers hold every lease "forever", as etcd's do.</li>
 *   <li>Request threads: {@link #exists}, {@link #timeToLive}, {@link #idsByExpiry}, the renew steps.</li>
 * </ul>
 * One monitor guards everything. Lock order: MVCC write lock, then this monitor; nothing here calls
 * the store, so the order is never reversed. Times are {@link LongSupplier} nanos (fake in tests).
 */
public final class Lessor implements LeaseAttachments {

  /** etcd's {@code MaxLeaseTTL}. */
  public static final long MAX_TTL = 9_000_000_000L;
  private static final long FOREVER = Long.MAX_VALUE;
  private static final long NANOS = 1_000_000_000L;

  /** What {@link #checkRenew} found. */
  enum RenewCheck { NOT_PRIMARY, NOT_FOUND, EXPIRED, CLEAR_CHECKPOINT, READY }

  /** A lease as TimeToLive reports it: remaining seconds (truncated), granted TTL, attached keys. */
  public record TimeToLive(long id, long ttl, long grantedTtl, List<ByteString> keys) {}

  private static final class Lease {
    final long id;
    final long ttl;
    /** Checkpointed remaining seconds; 0 = none (etcd's {@code remainingTTL}). */
    long remainingTtl;
    long expiry = FOREVER;
    /** When the leader loop may propose this (expired) lease's revoke again. */
    long revokeRetryAt;
    long checkpointAt = FOREVER;
    final Set<ByteString> keys = new LinkedHashSet<>();
    final CompletableFuture<Void> revoked = new CompletableFuture<>();

    Lease(long id, long ttl, long remainingTtl) {
      this.id = id;
      this.ttl = ttl;
      this.remainingTtl = remainingTtl;
    }

    /** etcd's {@code RemainingTTL()}: the checkpointed value if any, else the full TTL. */
    long restartTtl() {
      return remainingTtl > 0 ? remainingTtl : ttl;
    }
  }

  private final LeaseOptions options;
  private final LongSupplier clock;
  private final Map<Long, Lease> leases = new HashMap<>();
  private final Map<ByteString, Long> keyLease = new HashMap<>();
  private boolean primary;
  /** Completes when the current primary term ends (demotion): renewals waiting on a revoke give up. */
  private CompletableFuture<Void> demoted = new CompletableFuture<>();

  public Lessor(LeaseOptions options, LongSupplier nanoClock) {
    this.options = options;
    this.clock = nanoClock;
  }

  public LeaseOptions options() {
    return options;
  }

  // ---- startup ----

  /** Adds a lease read from the LEASE bucket (before the apply thread starts): TTL raised to the minimum. */
  synchronized void restore(long id, long ttl, long remainingTtl) {
    leases.put(id, new Lease(id, Math.max(ttl, options.minTtlSeconds()), remainingTtl));
  }

  /**
   * Forgets every lease before a rebuild from a replaced store (snapshot install). Only followers
   * install snapshots, and no renewal waits on a follower's lessor (they go to the leader), so waking
   * the revoke waiters of leases that live on in the new store disturbs no one. Apply thread.
   */
  synchronized void clearForRestore() {
    leases.values().forEach(l -> l.revoked.complete(null));
    leases.clear();
    keyLease.clear();
  }

  // ---- apply thread ----

  /**
   * Grants a lease, etcd's checks in etcd's order; returns the effective TTL (raised to the minimum).
   * The caller persists it.
   */
  synchronized long grant(long id, long ttl) {
    if (id == 0) {
      throw EtcdError.LEASE_NOT_FOUND.exception();
    }
    if (ttl > MAX_TTL) {
      throw EtcdError.LEASE_TTL_TOO_LARGE.exception();
    }
    if (leases.containsKey(id)) {
      throw EtcdError.LEASE_EXIST.exception();
    }
    Lease l = new Lease(id, Math.max(ttl, options.minTtlSeconds()), 0);
    leases.put(id, l);
    if (primary) {
      refresh(l, 0);
      scheduleCheckpoint(l);
    }
    return l.ttl;
  }

  /** The keys attached to {@code id}, sorted (etcd revokes in key order). */
  synchronized List<ByteString> attachedKeys(long id) {
    Lease l = leases.get(id);
    if (l == null) {
      throw EtcdError.LEASE_NOT_FOUND.exception();
    }
    List<ByteString> keys = new ArrayList<>(l.keys);
    keys.sort(ByteString.unsignedLexicographicalComparator());
    return keys;
  }

  /** Drops a revoked lease (its keys were deleted first) and wakes renewals waiting for the revoke. */
  synchronized void remove(long id) {
    Lease l = leases.remove(id);
    if (l != null) {
      l.keys.forEach(keyLease::remove);
      l.revoked.complete(null);
    }
  }

  /**
   * Records a checkpointed remaining TTL (etcd's {@code Checkpoint}); returns the lease's (ttl,
   * remaining) to persist, or empty if the lease is gone.
   */
  synchronized Optional<long[]> checkpoint(long id, long remainingTtl) {
    Lease l = leases.get(id);
    if (l == null) {
      return Optional.empty();
    }
    l.remainingTtl = remainingTtl;
    if (primary) {
      // A checkpoint this leader proposed leaves the deadline as it is (it was computed from it). One
      // of an earlier term, replayed from the log after this lessor was promoted, must pull the deadline
      // back to what promotion would have given it, or a restart would hand out the full TTL again.
      if (remainingTtl > 0) {
        l.expiry = Math.min(l.expiry, saturatedAdd(clock.getAsLong(), options.promoteExtend().toNanos(), remainingTtl));
      }
      scheduleCheckpoint(l);
    }
    return Optional.of(new long[] {l.ttl, l.remainingTtl});
  }

  /** Attach/detach from the MVCC write path (etcd's Attach/Detach in {@code kvstore_txn.go}). */
  @Override
  public synchronized void onChanges(List<Event> events) {
    for (Event e : events) {
      ByteString key = e.getKv().getKey();
      Long old = keyLease.remove(key);
      if (old != null) {
        Lease l = leases.get(old);
        if (l != null) {
          l.keys.remove(key);
        }
      }
      long lease = e.getType() == Event.EventType.PUT ? e.getKv().getLease() : 0;
      if (lease != 0) {
        attach(key, lease);
      }
    }
  }

  /** Attaches {@code key}; a lease missing here is tolerated (etcd logs it at restore). */
  synchronized boolean attach(ByteString key, long lease) {
    Lease l = leases.get(lease);
    if (l == null) {
      return false;
    }
    l.keys.add(key);
    keyLease.put(key, lease);
    return true;
  }

  // ---- any thread ----

  public synchronized boolean exists(long id) {
    return leases.containsKey(id);
  }

  public synchronized boolean isPrimary() {
    return primary;
  }

  /** etcd's lookup for TimeToLive; meaningful on the primary (elsewhere deadlines are "forever"). */
  synchronized Optional<TimeToLive> timeToLive(long id, boolean withKeys) {
    Lease l = leases.get(id);
    if (l == null) {
      return Optional.empty();
    }
    long remaining = l.expiry == FOREVER ? FOREVER / NANOS : (l.expiry - clock.getAsLong()) / NANOS;
    List<ByteString> keys = List.of();
    if (withKeys) {
      keys = new ArrayList<>(l.keys);
      keys.sort(ByteString.unsignedLexicographicalComparator());
    }
    return Optional.of(new TimeToLive(id, remaining, l.ttl, keys));
  }

  /** Every lease id, soonest deadline first (etcd's {@code leasesByExpiry}); ties by id. */
  synchronized List<Long> idsByExpiry() {
    List<Lease> all = new ArrayList<>(leases.values());
    all.sort(Comparator.<Lease>comparingLong(l -> l.expiry).thenComparingLong(l -> l.id));
    List<Long> ids = new ArrayList<>(all.size());
    all.forEach(l -> ids.add(l.id));
    return ids;
  }

  // ---- renewal (etcd's lessor.Renew, split so that the Raft steps run outside the monitor) ----

  synchronized RenewCheck checkRenew(long id) {
    if (!primary) {
      return RenewCheck.NOT_PRIMARY;
    }
    Lease l = leases.get(id);
    if (l == null) {
      return RenewCheck.NOT_FOUND;
    }
    if (clock.getAsLong() >= l.expiry) {
      return RenewCheck.EXPIRED;
    }
    // etcd clears a checkpointed remaining TTL through Raft before renewing, else a restart would
    // resume from the stale checkpoint instead of the renewed deadline.
    return options.checkpointInterval().isZero() || l.remainingTtl == 0 ? RenewCheck.READY
        : RenewCheck.CLEAR_CHECKPOINT;
  }

  /**
   * For an expired lease awaiting its revoke: completes when it is revoked, or exceptionally with
   * NOT_LEADER when this member stops being primary first (etcd's {@code revokec}/{@code demotec}).
   */
  synchronized CompletableFuture<Void> revokedOrDemoted(long id) {
    Lease l = leases.get(id);
    if (l == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> result = new CompletableFuture<>();
    l.revoked.thenRun(() -> result.complete(null));
    demoted.thenRun(() -> result.completeExceptionally(EtcdError.NOT_LEADER.exception()));
    return result;
  }

  /**
   * Renews: the deadline becomes now + TTL. Returns the granted TTL, 0 if the lease is gone, -1 if
   * this member is no longer primary.
   */
  synchronized long refresh(long id) {
    if (!primary) {
      return -1;
    }
    Lease l = leases.get(id);
    if (l == null) {
      return 0;
    }
    refresh(l, 0);
    return l.ttl;
  }

  // ---- leader loop ----

  /**
   * This member's lessor becomes the primary (etcd's {@code Promote}): every deadline becomes now +
   * {@code extend} + the checkpointed remaining TTL, else the full TTL.
   */
  synchronized void promote(long extendNanos) {
    primary = true;
    demoted = new CompletableFuture<>();
    for (Lease l : leases.values()) {
      refresh(l, extendNanos);
      l.revokeRetryAt = 0;
      scheduleCheckpoint(l);
    }
  }

  /** Leadership lost: no deadlines any more (etcd's {@code Demote}). */
  synchronized void demote() {
    primary = false;
    for (Lease l : leases.values()) {
      l.expiry = FOREVER;
      l.checkpointAt = FOREVER;
    }
    demoted.complete(null);
  }

  /**
   * Up to {@code limit} expired leases whose revoke is due to be proposed; each is then held back for
   * the retry interval, so a slow revoke is not proposed on every tick.
   */
  synchronized List<Long> expired(int limit) {
    List<Long> ids = new ArrayList<>();
    if (!primary) {
      return ids;
    }
    long now = clock.getAsLong();
    for (Lease l : leases.values()) {
      if (ids.size() >= limit) {
        break;
      }
      if (now >= l.expiry && now >= l.revokeRetryAt) {
        l.revokeRetryAt = now + options.revokeRetry().toNanos();
        ids.add(l.id);
      }
    }
    return ids;
  }

  /**
   * Checkpoints due (etcd's {@code findDueScheduledCheckpoints}): remaining = ceil(seconds left), only
   * for leases not expired and below their TTL.
   */
  synchronized List<LeaseCheckpoint> dueCheckpoints(int limit) {
    List<LeaseCheckpoint> cps = new ArrayList<>();
    if (!primary) {
      return cps;
    }
    long now = clock.getAsLong();
    for (Lease l : leases.values()) {
      if (cps.size() >= limit) {
        break;
      }
      if (l.checkpointAt > now) {
        continue;
      }
      l.checkpointAt = FOREVER;
      if (now >= l.expiry) {
        continue;
      }
      long remaining = (l.expiry - now + NANOS - 1) / NANOS;
      if (remaining >= l.ttl) {
        // just renewed: etcd drops the schedule here; we look again later so that a lease renewed at
        // the wrong moment is still checkpointed
        scheduleCheckpoint(l);
        continue;
      }
      cps.add(LeaseCheckpoint.newBuilder().setID(l.id).setRemainingTTL(remaining).build());
    }
    return cps;
  }

  private void refresh(Lease l, long extendNanos) {
    l.expiry = saturatedAdd(clock.getAsLong(), extendNanos, l.restartTtl());
  }

  /** etcd's {@code scheduleCheckpointIfNeeded}: only leases that outlive one interval. */
  private void scheduleCheckpoint(Lease l) {
    long interval = options.checkpointInterval().toNanos();
    if (interval == 0 || !primary) {
      return;
    }
    if (l.restartTtl() > options.checkpointInterval().toSeconds()) {
      l.checkpointAt = clock.getAsLong() + interval;
    }
  }

  private static long saturatedAdd(long now, long extendNanos, long seconds) {
    if (seconds > (FOREVER - now - extendNanos) / NANOS) {
      return FOREVER - 1;
    }
    return now + extendNanos + seconds * NANOS;
  }
}
