package dev.strata.server.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.backend.Backend;
import dev.strata.backend.CanonicalHash;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The transfer over real gRPC on loopback, several chunks long, between (possibly) different engines. */
class SnapshotServiceTest {

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"btree,lsm", "lsm,btree"})
  void followerReceivesTheLeadersContent(String leaderEngine, String followerEngine) throws Exception {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (Backend leader = SnapshotEngines.open(leaderEngine, tmp.resolve("leader"));
        Backend follower = SnapshotEngines.open(followerEngine, tmp.resolve("follower"))) {
      // ~3 MiB: more than one 1 MiB chunk
      SnapshotEngines.fill(leader, 400, 8 * 1024, 5, 12_345);
      Path spool = tmp.resolve("spool");
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(new SnapshotService(leader::readView, spool, executor).definition())
          .build().start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
          .usePlaintext().maxInboundMessageSize(4 * 1024 * 1024).build();
      try {
        SnapshotHeader got = SnapshotFetcher.fetch(channel, follower, 60_000);
        assertThat(got.term()).isEqualTo(5);
        assertThat(got.index()).isEqualTo(12_345);
        assertThat(CanonicalHash.hex(follower)).isEqualTo(CanonicalHash.hex(leader));
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
      try (var files = Files.list(spool)) {
        assertThat(files).as("spool file deleted after the transfer").isEmpty();
      }
    } finally {
      executor.shutdownNow();
    }
  }
}
