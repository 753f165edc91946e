package dev.strata.server.api;

import dev.strata.server.config.ServerConfig;
import dev.strata.server.etcdserver.Member;
import dev.strata.server.raft.Halt;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real single member in this JVM on free ports (client gRPC on port 0, Raft on a free port), with a
 * halt that records the failure instead of ending the test JVM.
 */
final class TestMember implements AutoCloseable {

  final Member member;
  final ClientServer clients;
  final ManagedChannel channel;
  final AtomicReference<String> halted;

  private TestMember(Member member, ClientServer clients, ManagedChannel channel, AtomicReference<String> halted) {
    this.member = member;
    this.clients = clients;
    this.channel = channel;
    this.halted = halted;
  }

  static TestMember start(Path dataDir, String backend, int peerPort) throws Exception {
    URI peer = URI.create("http://127.0.0.1:" + peerPort);
    ServerConfig cfg = new ServerConfig("default", dataDir, List.of(URI.create("http://127.0.0.1:0")),
        List.of(URI.create("http://127.0.0.1:0")), List.of(peer), List.of(peer), Map.of("default", List.of(peer)),
        ServerConfig.ClusterState.NEW, "etcd-cluster", 100_000, 2L << 30, 1_572_864, 128, "info", backend,
        Duration.ofMillis(1000), Duration.ofMillis(2000));
    AtomicReference<String> halted = new AtomicReference<>();
    Halt halt = (reason, cause) -> halted.compareAndSet(null, reason + ": " + cause);
    Member m = Member.start(cfg, halt);
    try {
      m.awaitReady();
      ClientServer c = ClientServer.start(m.server());
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", c.port(0)).usePlaintext().build();
      return new TestMember(m, c, ch, halted);
    } catch (Exception e) {
      m.close();
      throw e;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    clients.close();
    member.close();
  }
}
