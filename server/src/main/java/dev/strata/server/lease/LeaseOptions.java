package dev.strata.server.lease;

import java.time.Duration;
import java.util.Objects;

/**
 * Lessor tuning, etcd's values by default.
 *
 * @param minTtlSeconds grants below this are raised to it (etcd: ceil(1.5 × election timeout))
 * @param promoteExtend added to every deadline when this member becomes the leader's lessor (etcd's
 *     {@code Promote(electionTimeout)}), so clients get time to find the new leader
 * @param checkpointInterval how often the leader records remaining TTLs through Raft (etcd's
 *     {@code --experimental-enable-lease-checkpoint}, 5 min); zero disables checkpoints
 * @param tick period of the leader loop that revokes expired leases and proposes checkpoints
 * @param revokeRetry an expired lease whose revoke did not apply is proposed again after this
 */
public record LeaseOptions(long minTtlSeconds, Duration promoteExtend, Duration checkpointInterval,
    Duration tick, Duration revokeRetry) {

  /** etcd's {@code defaultLeaseCheckpointInterval}. */
  public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofMinutes(5);

  public LeaseOptions {
    Objects.requireNonNull(promoteExtend, "promoteExtend");
    Objects.requireNonNull(checkpointInterval, "checkpointInterval");
    Objects.requireNonNull(tick, "tick");
    Objects.requireNonNull(revokeRetry, "revokeRetry");
    if (minTtlSeconds < 1 || tick.isNegative() || tick.isZero() || checkpointInterval.isNegative()) {
      throw new IllegalArgumentException("invalid lease options: " + minTtlSeconds + " " + tick + " "
          + checkpointInterval);
    }
  }

  /**
   * etcd's settings for an election timeout: min TTL = ceil(⌊3·ticks/2⌋ × heartbeat) with etcd's
   * 100 ms heartbeat ({@code server/etcdserver/server.go}), i.e. 2 s for the default 1 s timeout.
   * {@code -Dstrata.lease.checkpointIntervalMs} shortens the checkpoint interval (tests, tuning).
   */
  public static LeaseOptions forElectionTimeout(Duration electionTimeout) {
    long heartbeatMs = 100;
    long ticks = Math.max(1, electionTimeout.toMillis() / heartbeatMs);
    long minTtlMs = (3 * ticks / 2) * heartbeatMs;
    long minTtl = Math.max(1, (minTtlMs + 999) / 1000);
    Duration checkpoint = Duration.ofMillis(Long.getLong("strata.lease.checkpointIntervalMs",
        DEFAULT_CHECKPOINT_INTERVAL.toMillis()));
    return new LeaseOptions(minTtl, electionTimeout, checkpoint, Duration.ofMillis(100),
        Duration.ofSeconds(3));
  }

  public LeaseOptions withCheckpointInterval(Duration d) {
    return new LeaseOptions(minTtlSeconds, promoteExtend, d, tick, revokeRetry);
  }
}
