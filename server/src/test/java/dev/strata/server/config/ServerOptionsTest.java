package dev.strata.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServerOptionsTest {

  private static ServerConfig parse(Map<String, String> env, String... args) {
    ServerOptions options = new ServerOptions();
    new CommandLine(options).setDefaultValueProvider(new EnvDefaults(env)).parseArgs(args);
    return options.toConfig();
  }

  @Test
  void etcdDefaultsServeOneLocalMember() {
    ServerConfig cfg = parse(Map.of());
    assertThat(cfg.name()).isEqualTo("default");
    assertThat(cfg.dataDir()).isEqualTo(Path.of("./default.strata"));
    assertThat(cfg.listenClientUrls()).containsExactly(URI.create("http://localhost:2379"));
    assertThat(cfg.initialCluster()).containsExactly(Map.entry("default", List.of(URI.create("http://localhost:2380"))));
    assertThat(cfg.snapshotCount()).isEqualTo(100_000);
    assertThat(cfg.snapshotCatchUpEntries()).isEqualTo(5000);
    assertThat(cfg.quotaBackendBytes()).isEqualTo(2L << 30);
    assertThat(cfg.maxRequestBytes()).isEqualTo(1_572_864);
    assertThat(cfg.maxTxnOps()).isEqualTo(128);
    assertThat(cfg.backend()).isEqualTo("btree");
    assertThat(cfg.initialClusterState()).isEqualTo(ServerConfig.ClusterState.NEW);
  }

  @Test
  void snapshotCatchUpEntriesIsEtcdsFlagAndMustBePositive() {
    assertThat(parse(Map.of(), "--experimental-snapshot-catchup-entries", "50").snapshotCatchUpEntries()).isEqualTo(50);
    assertThat(parse(Map.of("ETCD_EXPERIMENTAL_SNAPSHOT_CATCHUP_ENTRIES", "70")).snapshotCatchUpEntries()).isEqualTo(70);
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> parse(Map.of(), "--experimental-snapshot-catchup-entries", "0"))
        .hasMessageContaining("--experimental-snapshot-catchup-entries");
  }

  @Test
  void environmentGivesDefaultsAndFlagsWin() {
    Map<String, String> env = Map.of("ETCD_MAX_TXN_OPS", "7", "ETCD_DATA_DIR", "/etcd", "STRATA_DATA_DIR", "/strata");
    ServerConfig cfg = parse(env);
    assertThat(cfg.maxTxnOps()).isEqualTo(7);
    assertThat(cfg.dataDir()).isEqualTo(Path.of("/strata"));
    assertThat(parse(env, "--data-dir", "/flag").dataDir()).isEqualTo(Path.of("/flag"));
  }

  @Test
  void customNameWithDefaultClusterMeansItself() {
    ServerConfig cfg = parse(Map.of(), "--name", "n1", "--initial-advertise-peer-urls", "http://127.0.0.1:9");
    assertThat(cfg.initialCluster()).containsOnlyKeys("n1");
  }

  @Test
  void badFlagsAreOneLineErrors() {
    assertThatThrownBy(() -> parse(Map.of(), "--name", "x", "--initial-cluster", "y=http://localhost:2380"))
        .hasMessage("couldn't find local name \"x\" in the initial cluster configuration");
    assertThatThrownBy(() -> parse(Map.of(), "--listen-client-urls", "nonsense"))
        .hasMessageContaining("--listen-client-urls");
    assertThatThrownBy(() -> parse(Map.of(), "--initial-cluster-state", "maybe"))
        .hasMessageContaining("'new' or 'existing'");
  }

  @Test
  void idsMatchEtcd() {
    // etcd 3.4.23 started with --initial-advertise-peer-urls http://127.0.0.1:24800
    // --initial-cluster default=http://127.0.0.1:24800 reports these ids.
    ServerConfig cfg = parse(Map.of(), "--listen-peer-urls", "http://127.0.0.1:24800",
        "--initial-advertise-peer-urls", "http://127.0.0.1:24800",
        "--initial-cluster", "default=http://127.0.0.1:24800");
    ClusterIdentity ids = ClusterIdentity.of(cfg);
    assertThat(Long.toUnsignedString(ids.memberId())).isEqualTo("9829954754940738069");
    assertThat(Long.toUnsignedString(ids.clusterId())).isEqualTo("2755613793311995676");
    assertThat(ids.raftGroupId()).isEqualTo(ClusterIdentity.of(cfg).raftGroupId());
  }
}
