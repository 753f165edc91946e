package dev.strata.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The member flags, named and defaulted like etcd's ({@code etcd --help}). Each flag also reads
 * {@code STRATA_<FLAG>} or {@code ETCD_<FLAG>} from the environment as its default (see
 * {@link EnvDefaults}), so etcd deployments' environment files work unchanged.
 */
public final class ServerOptions {

  static final String DEFAULT_NAME = "default";
  static final String DEFAULT_PEER_URL = "http://localhost:2380";
  static final String DEFAULT_INITIAL_CLUSTER = DEFAULT_NAME + "=" + DEFAULT_PEER_URL;

  @Option(names = "--name", defaultValue = DEFAULT_NAME, description = "Human-readable name for this member.")
  String name;

  @Option(names = "--data-dir", defaultValue = "./default.strata", description = "Path to the data directory.")
  Path dataDir;

  @Option(names = "--listen-client-urls", defaultValue = "http://localhost:2379", split = ",",
      description = "List of URLs to listen on for client traffic.")
  List<String> listenClientUrls;

  @Option(names = "--advertise-client-urls", defaultValue = "http://localhost:2379", split = ",",
      description = "List of this member's client URLs to advertise to the public.")
  List<String> advertiseClientUrls;

  @Option(names = "--listen-peer-urls", defaultValue = DEFAULT_PEER_URL, split = ",",
      description = "List of URLs to listen on for peer (Raft) traffic.")
  List<String> listenPeerUrls;

  @Option(names = "--initial-advertise-peer-urls", defaultValue = DEFAULT_PEER_URL, split = ",",
      description = "List of this member's peer URLs to advertise to the rest of the cluster.")
  List<String> initialAdvertisePeerUrls;

  @Option(names = "--initial-cluster", defaultValue = DEFAULT_INITIAL_CLUSTER,
      description = "Initial cluster configuration for bootstrapping: name=peerURL,...")
  String initialCluster;

  @Option(names = "--initial-cluster-state", defaultValue = "new",
      description = "Initial cluster state ('new' or 'existing').")
  String initialClusterState;

  @Option(names = "--initial-cluster-token", defaultValue = "etcd-cluster",
      description = "Initial cluster token for the cluster during bootstrap.")
  String initialClusterToken;

  @Option(names = "--snapshot-count", defaultValue = "100000",
      description = "Number of committed Raft entries to trigger a snapshot (and log purge).")
  long snapshotCount;

  @Option(names = "--experimental-snapshot-catchup-entries", defaultValue = "5000",
      description = "Number of entries for a slow follower to catch up after compacting the raft storage entries.")
  long snapshotCatchUpEntries;

  @Option(names = "--quota-backend-bytes", defaultValue = "2147483648",
      description = "Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).")
  long quotaBackendBytes;

  @Option(names = "--max-request-bytes", defaultValue = "1572864",
      description = "Maximum client request size in bytes the server will accept.")
  int maxRequestBytes;

  @Option(names = "--max-txn-ops", defaultValue = "128",
      description = "Maximum number of operations permitted in a transaction.")
  int maxTxnOps;

  @Option(names = "--log-level", defaultValue = "info",
      description = "Configures log level. Only supports debug, info, warn, error.")
  String logLevel;

  @Option(names = "--backend", defaultValue = "btree",
      description = "Storage engine of this member's data dir: btree (LMDB) or lsm (RocksDB).")
  String backend;

  @Option(names = "--election-timeout", defaultValue = "1000",
      description = "Minimum Raft election timeout in milliseconds (the maximum is twice it).")
  long electionTimeoutMs;

  @Option(names = "--experimental-watch-progress-notify-interval", defaultValue = "10m",
      description = "Duration of periodic watch progress notifications (Go syntax, e.g. 10m, 500ms; min 100ms).")
  String watchProgressNotifyInterval;

  @Option(names = "--strict-reconfig-check", defaultValue = "true", arity = "0..1", fallbackValue = "true",
      description = "Reject reconfiguration requests that would cause quorum loss.")
  boolean strictReconfigCheck;

  /**
   * Validates the flags as etcd does and returns the member configuration.
   *
   * @throws IllegalArgumentException with a one-line message naming the bad flag
   */
  public ServerConfig toConfig() {
    List<URI> advertisePeers = urls("--initial-advertise-peer-urls", initialAdvertisePeerUrls);
    String cluster = initialCluster;
    // etcd (embed/config.go): an unchanged default --initial-cluster with a custom --name means
    // "this member alone", at its advertised peer URLs.
    if (cluster.equals(DEFAULT_INITIAL_CLUSTER) && !name.equals(DEFAULT_NAME)) {
      List<String> parts = new ArrayList<>();
      advertisePeers.forEach(u -> parts.add(name + "=" + u));
      cluster = String.join(",", parts);
    }
    Map<String, List<URI>> members = parseInitialCluster(cluster);
    List<URI> own = members.get(name);
    if (own == null) {
      throw new IllegalArgumentException("couldn't find local name \"" + name
          + "\" in the initial cluster configuration");
    }
    if (!new java.util.HashSet<>(own).equals(new java.util.HashSet<>(advertisePeers))) {
      throw new IllegalArgumentException("--initial-cluster has " + name + "=" + own
          + " but missing from --initial-advertise-peer-urls=" + advertisePeers);
    }
    ServerConfig.ClusterState state = switch (initialClusterState.toLowerCase(Locale.ROOT)) {
      case "new" -> ServerConfig.ClusterState.NEW;
      case "existing" -> ServerConfig.ClusterState.EXISTING;
      default -> throw new IllegalArgumentException(
          "--initial-cluster-state must be 'new' or 'existing', got '" + initialClusterState + "'");
    };
    positive("--snapshot-count", snapshotCount);
    positive("--experimental-snapshot-catchup-entries", snapshotCatchUpEntries);
    positive("--max-request-bytes", maxRequestBytes);
    positive("--max-txn-ops", maxTxnOps);
    positive("--election-timeout", electionTimeoutMs);
    if (quotaBackendBytes < 0) {
      throw new IllegalArgumentException("--quota-backend-bytes must not be negative");
    }
    String level = logLevel.toLowerCase(Locale.ROOT);
    if (!List.of("debug", "info", "warn", "error", "trace").contains(level)) {
      throw new IllegalArgumentException("--log-level must be one of debug, info, warn, error; got '"
          + logLevel + "'");
    }
    List<URI> listenClients = urls("--listen-client-urls", listenClientUrls);
    List<URI> listenPeers = urls("--listen-peer-urls", listenPeerUrls);
    requireHttp("--listen-client-urls", listenClients);
    requireHttp("--listen-peer-urls", listenPeers);
    return new ServerConfig(name, dataDir, listenClients, urls("--advertise-client-urls", advertiseClientUrls),
        listenPeers, advertisePeers, members, state, initialClusterToken, snapshotCount,
        quotaBackendBytes == 0 ? 2L << 30 : quotaBackendBytes, maxRequestBytes, maxTxnOps, level, backend,
        Duration.ofMillis(electionTimeoutMs), Duration.ofMillis(2 * electionTimeoutMs),
        watchProgressInterval(watchProgressNotifyInterval), snapshotCatchUpEntries, strictReconfigCheck);
  }

  /**
   * etcd (v3rpc {@code NewWatchServer}): 0 keeps the 10 min default, a positive value below 100 ms is
   * raised to 100 ms; a negative one is refused here rather than silently ignored.
   */
  static Duration watchProgressInterval(String text) {
    String flag = "--experimental-watch-progress-notify-interval";
    Duration d = GoDuration.parse(flag, text);
    if (d.isNegative()) {
      throw new IllegalArgumentException(flag + " must not be negative, got " + text);
    }
    if (d.isZero()) {
      return ServerConfig.DEFAULT_WATCH_PROGRESS_NOTIFY_INTERVAL;
    }
    Duration min = Duration.ofMillis(100);
    return d.compareTo(min) < 0 ? min : d;
  }

  static Map<String, List<URI>> parseInitialCluster(String spec) {
    Map<String, List<URI>> members = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--initial-cluster: expected name=url, got '" + part + "'");
      }
      URI url = url("--initial-cluster", part.substring(eq + 1).trim());
      members.computeIfAbsent(part.substring(0, eq).trim(), k -> new ArrayList<>()).add(url);
    }
    return members;
  }

  private static List<URI> urls(String flag, List<String> values) {
    List<URI> out = new ArrayList<>();
    for (String v : values) {
      if (!v.isBlank()) {
        out.add(url(flag, v.trim()));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(flag + " must not be empty");
    }
    return out;
  }

  private static URI url(String flag, String value) {
    try {
      URI u = new URI(value);
      if (u.getScheme() == null || u.getHost() == null || u.getPort() < 0) {
        throw new IllegalArgumentException(flag + ": '" + value + "' is not a URL of the form http://host:port");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(flag + ": '" + value + "' is not a valid URL: " + e.getReason());
    }
  }

  private static void requireHttp(String flag, List<URI> urls) {
    for (URI u : urls) {
      if (!u.getScheme().equals("http")) {
        throw new IllegalArgumentException(flag + ": only http:// is supported for now, got " + u);
      }
    }
  }

  private static void positive(String flag, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(flag + " must be > 0, got " + v);
    }
  }
}
