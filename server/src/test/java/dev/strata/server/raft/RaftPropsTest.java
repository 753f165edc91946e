package dev.strata.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.config.EnvDefaults;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.config.ServerOptions;
import java.nio.file.Path;
import java.util.Map;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RaftPropsTest {

  @TempDir Path dir;

  private RaftProperties props(String... args) {
    ServerOptions options = new ServerOptions();
    new CommandLine(options).setDefaultValueProvider(new EnvDefaults(Map.of())).parseArgs(args);
    ServerConfig cfg = options.toConfig();
    return RaftProps.of(cfg, dir, "127.0.0.1", 0);
  }

  @Test
  void onlyTheOpenLogSegmentStaysOnTheHeap() {
    RaftProperties p = props();
    assertThat(RaftServerConfigKeys.Log.segmentCacheNumMax(p)).isZero();
  }

  @Test
  void segmentsAreSizedFromTheSnapshotIntervalWithinOneAnd32MiB() {
    assertThat(RaftServerConfigKeys.Log.segmentSizeMax(props()).getSize())
        .isEqualTo(100_000L * 256);
    assertThat(RaftServerConfigKeys.Log.segmentSizeMax(props("--snapshot-count", "100")).getSize())
        .isEqualTo(1L << 20);
    assertThat(RaftServerConfigKeys.Log.segmentSizeMax(props("--snapshot-count", "10000000")).getSize())
        .isEqualTo(32L << 20);
  }

  @Test
  void theLogIsSyncedAndCarriesNoMetadataEntries() {
    RaftProperties p = props();
    assertThat(RaftServerConfigKeys.Log.unsafeFlushEnabled(p)).isFalse();
    assertThat(RaftServerConfigKeys.Log.asyncFlushEnabled(p)).isFalse();
    assertThat(RaftServerConfigKeys.Log.logMetadataEnabled(p)).isFalse();
  }
}
