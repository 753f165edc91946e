package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.config.ServerConfig;
import dev.strata.server.etcdserver.Member;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --experimental-watch-progress-notify-interval} reaches the member's watch hub: a
 * progress_notify watch on a quiet key gets {@code {watch_id, header.revision = current, no events}}
 * with full header ids, as etcd sends it.
 */
class WatchProgressNotifyTest {

  @TempDir
  Path dir;

  @Test
  void progressNotifyUsesTheConfiguredInterval() throws Exception {
    URI peer = URI.create("http://127.0.0.1:" + TestMember.freePort());
    URI client = URI.create("http://127.0.0.1:0");
    ServerConfig cfg = new ServerConfig("default", dir, List.of(client), List.of(client), List.of(peer), List.of(peer),
        Map.of("default", List.of(peer)), ServerConfig.ClusterState.NEW, "etcd-cluster", 100_000, 2L << 30,
        1_572_864, 128, "info", "btree", Duration.ofMillis(1000), Duration.ofMillis(2000), Duration.ofMillis(200));
    try (Member m = Member.start(cfg, (reason, cause) -> { })) {
      m.awaitReady();
      ClientServer clients = ClientServer.start(m.server());
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", clients.port(0)).usePlaintext().build();
      try (WatchWire wire = new WatchWire(ch)) {
        long rev = KVGrpc.newBlockingStub(ch).put(PutRequest.newBuilder()
            .setKey(com.google.protobuf.ByteString.copyFromUtf8("other")).build()).getHeader().getRevision();
        long id = wire.create(WatchWire.watchOf("quiet", null).setProgressNotify(true).build()).getWatchId();
        List<WatchResponse> rs = wire.await(l -> l.stream().filter(r -> isProgress(r, id)).count() >= 2,
            "two progress notifications");
        WatchResponse p = rs.stream().filter(r -> isProgress(r, id)).findFirst().orElseThrow();
        assertThat(p.getHeader().getRevision()).isEqualTo(rev);
        assertThat(p.getHeader().getClusterId()).isEqualTo(m.server().identity().clusterId());
        assertThat(p.getHeader().getMemberId()).isEqualTo(m.server().identity().memberId());
        assertThat(p.getHeader().getRaftTerm()).isPositive();
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        clients.close();
      }
    }
  }

  private static boolean isProgress(WatchResponse r, long id) {
    return r.getWatchId() == id && !r.getCreated() && !r.getCanceled() && r.getEventsCount() == 0;
  }
}
