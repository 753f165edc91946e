package dev.strata.server.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A member's validated configuration (etcd's flags of the same names).
 *
 * @param initialCluster member name to its peer URLs, in the order given on the command line
 * @param watchProgressNotifyInterval period of watch progress_notify replies (etcd's
 *     {@code --experimental-watch-progress-notify-interval}), already raised to etcd's 100 ms minimum
 * @param snapshotCatchUpEntries Raft entries kept behind a snapshot so a slow follower can catch up from
 *     the log rather than a snapshot ({@code --experimental-snapshot-catchup-entries})
 * @param strictReconfigCheck etcd's {@code --strict-reconfig-check}: refuse membership changes that could
 *     lose quorum
 */
public record ServerConfig(
    String name,
    Path dataDir,
    List<URI> listenClientUrls,
    List<URI> advertiseClientUrls,
    List<URI> listenPeerUrls,
    List<URI> initialAdvertisePeerUrls,
    Map<String, List<URI>> initialCluster,
    ClusterState initialClusterState,
    String initialClusterToken,
    long snapshotCount,
    long quotaBackendBytes,
    int maxRequestBytes,
    int maxTxnOps,
    String logLevel,
    String backend,
    Duration electionTimeoutMin,
    Duration electionTimeoutMax,
    Duration watchProgressNotifyInterval,
    long snapshotCatchUpEntries,
    boolean strictReconfigCheck) {

  /** etcd's default {@code --experimental-snapshot-catchup-entries} ({@code DefaultSnapshotCatchUpEntries}). */
  public static final long DEFAULT_SNAPSHOT_CATCHUP_ENTRIES = 5000;

  /**
   * The configuration with etcd's defaults for the flags added since (--experimental-snapshot-catchup-entries,
   * --strict-reconfig-check): for callers that predate them.
   */
  public ServerConfig(String name, Path dataDir, List<URI> listenClientUrls, List<URI> advertiseClientUrls,
      List<URI> listenPeerUrls, List<URI> initialAdvertisePeerUrls, Map<String, List<URI>> initialCluster,
      ClusterState initialClusterState, String initialClusterToken, long snapshotCount, long quotaBackendBytes,
      int maxRequestBytes, int maxTxnOps, String logLevel, String backend, Duration electionTimeoutMin,
      Duration electionTimeoutMax, Duration watchProgressNotifyInterval) {
    this(name, dataDir, listenClientUrls, advertiseClientUrls, listenPeerUrls, initialAdvertisePeerUrls,
        initialCluster, initialClusterState, initialClusterToken, snapshotCount, quotaBackendBytes,
        maxRequestBytes, maxTxnOps, logLevel, backend, electionTimeoutMin, electionTimeoutMax,
        watchProgressNotifyInterval, DEFAULT_SNAPSHOT_CATCHUP_ENTRIES, true);
  }

  /** etcd's default {@code --experimental-watch-progress-notify-interval}. */
  public static final Duration DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL = Duration.ofMinutes(10);

  /** The configuration without the watch tuning flag (its etcd default): for callers that predate it. */
  public ServerConfig(String name, Path dataDir, List<URI> listenClientUrls, List<URI> advertiseClientUrls,
      List<URI> listenPeerUrls, List<URI> initialAdvertisePeerUrls, Map<String, List<URI>> initialCluster,
      ClusterState initialClusterState, String initialClusterToken, long snapshotCount, long quotaBackendBytes,
      int maxRequestBytes, int maxTxnOps, String logLevel, String backend, Duration electionTimeoutMin,
      Duration electionTimeoutMax) {
    this(name, dataDir, listenClientUrls, advertiseClientUrls, listenPeerUrls, initialAdvertisePeerUrls,
        initialCluster, initialClusterState, initialClusterToken, snapshotCount, quotaBackendBytes,
        maxRequestBytes, maxTxnOps, logLevel, backend, electionTimeoutMin, electionTimeoutMax,
        DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL);
  }

  /** etcd's {@code --initial-cluster-state}. */
  public enum ClusterState { NEW, EXISTING }

  public ServerConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(watchProgressNotifyInterval, "watchProgressNotifyInterval");
    listenClientUrls = List.copyOf(listenClientUrls);
    advertiseClientUrls = List.copyOf(advertiseClientUrls);
    listenPeerUrls = List.copyOf(listenPeerUrls);
    initialAdvertisePeerUrls = List.copyOf(initialAdvertisePeerUrls);
    initialCluster = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(initialCluster));
  }

  /**
   * etcd's request timeout for proposals and linearizable reads: 5 s plus two election timeouts
   * ({@code etcdserver/config.go ReqTimeout}: 5 s + 2 x ElectionTicks x TickMs, i.e. 2 x
   * {@code --election-timeout}, 7 s by default). The flag is our minimum; Ratis' randomized maximum
   * (twice it) would make it 9 s, which a real etcd 3.4 cluster without quorum does not take.
   */
  public Duration requestTimeout() {
    return Duration.ofSeconds(5).plus(electionTimeoutMin.multipliedBy(2));
  }
}
