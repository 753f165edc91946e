package dev.strata.server.lease;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.strata.server.it.FreePorts;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * In a real 3-member cluster of {@code strata} processes, a follower's LeaseKeepAlive and
 * LeaseTimeToLive are answered by the leader (forwarded as a Ratis read-only query), per engine:
 * keepalives through a follower hold a TTL-5 lease and its key for more than twice the TTL, and once
 * they stop the key goes. Runs the members from the test classpath ({@code target/classes}).
 */
class LeaseFollowerIT {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final String READY_LINE = "ready to serve client requests";
  private static final long TTL = 5;

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void followerKeepAliveAndTimeToLiveAreServedByLeader(String engine) throws Exception {
    Path root = Path.of("target", "it-data");
    Files.createDirectories(root);
    Path dir = Files.createTempDirectory(root, "lease-follower-" + engine + "-");
    int n = 3;
    int[] client = new int[n];
    int[] peer = new int[n];
    StringBuilder initial = new StringBuilder();
    for (int i = 0; i < n; i++) {
      client[i] = FreePorts.next();
      peer[i] = FreePorts.next();
      initial.append(i == 0 ? "" : ",").append("n").append(i + 1).append("=http://127.0.0.1:").append(peer[i]);
    }
    List<Process> procs = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Path log = dir.resolve("n" + (i + 1) + ".log");
        logs.add(log);
        procs.add(new ProcessBuilder(command(engine, "n" + (i + 1), initial.toString(), client[i], peer[i],
            dir.resolve("n" + (i + 1)))).redirectErrorStream(true).redirectOutput(log.toFile()).start());
      }
      for (int i = 0; i < n; i++) {
        Path log = logs.get(i);
        Process p = procs.get(i);
        assertThat(await(() -> !p.isAlive() || contains(log, READY_LINE), START_TIMEOUT))
            .as("member n%d ready", i + 1).isTrue();
        assertThat(p.isAlive()).as("member n%d alive; log: %s", i + 1, log.toAbsolutePath()).isTrue();
        channels.add(NettyChannelBuilder.forAddress("127.0.0.1", client[i]).usePlaintext().build());
      }

      // the leader: the member whose own id is the leader id it reports
      AtomicReference<Integer> leaderIdx = new AtomicReference<>();
      assertThat(await(() -> {
        for (int i = 0; i < n; i++) {
          try {
            StatusResponse s = MaintenanceGrpc.newBlockingStub(channels.get(i)).withDeadlineAfter(5, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance());
            if (s.getLeader() != 0 && s.getLeader() == s.getHeader().getMemberId()) {
              leaderIdx.set(i);
              return true;
            }
          } catch (RuntimeException e) {
            // not serving yet
          }
        }
        return false;
      }, Duration.ofSeconds(60))).as("a leader").isTrue();
      int leader = leaderIdx.get();
      int follower = (leader + 1) % n;
      ManagedChannel lch = channels.get(leader);
      ManagedChannel fch = channels.get(follower);

      long id = 0x5eed;
      ByteString key = ByteString.copyFromUtf8("follower/lease-key");
      LeaseGrpc.newBlockingStub(lch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(TTL).build());
      KVGrpc.newBlockingStub(lch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8("v")).setLease(id).build());

      // keep it alive through the follower, once a second, for more than 2 x TTL
      int rounds = (int) (2 * TTL + 3);
      ConcurrentLinkedQueue<Long> ttls = new ConcurrentLinkedQueue<>();
      AtomicReference<Throwable> streamError = new AtomicReference<>();
      CountDownLatch answered = new CountDownLatch(rounds);
      StreamObserver<LeaseKeepAliveRequest> requests = LeaseGrpc.newStub(fch).leaseKeepAlive(
          new StreamObserver<LeaseKeepAliveResponse>() {
            @Override
            public void onNext(LeaseKeepAliveResponse r) {
              ttls.add(r.getTTL());
              answered.countDown();
            }

            @Override
            public void onError(Throwable t) {
              streamError.set(t);
              while (answered.getCount() > 0) {
                answered.countDown();
              }
            }

            @Override
            public void onCompleted() {}
          });
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
      long started = System.nanoTime();
      try {
        ticker.scheduleAtFixedRate(() -> {
          synchronized (requests) {
            requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
          }
        }, 0, 1, TimeUnit.SECONDS);
        assertThat(answered.await(rounds + 30, TimeUnit.SECONDS)).as("keepalive answers").isTrue();
      } finally {
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(streamError.get()).as("keepalive stream through the follower").isNull();
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofSeconds(2 * TTL));
      assertThat(ttls).as("every renewal answered by the leader with the granted TTL").hasSizeGreaterThanOrEqualTo(rounds)
          .allMatch(t -> t == TTL);

      var fkv = KVGrpc.newBlockingStub(fch).withDeadlineAfter(30, TimeUnit.SECONDS);
      assertThat(fkv.range(RangeRequest.newBuilder().setKey(key).build()).getCount())
          .as("key still attached to the kept-alive lease").isEqualTo(1);

      LeaseTimeToLiveResponse ttl = LeaseGrpc.newBlockingStub(fch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(true).build());
      assertThat(ttl.getID()).isEqualTo(id);
      assertThat(ttl.getGrantedTTL()).isEqualTo(TTL);
      assertThat(ttl.getTTL()).isBetween(1L, TTL);
      assertThat(ttl.getKeysList()).containsExactly(key);
      LeaseTimeToLiveResponse unknown = LeaseGrpc.newBlockingStub(fch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id + 1).build());
      assertThat(unknown.getTTL()).as("unknown lease through the follower").isEqualTo(-1);

      // stop the keepalives: the lease expires on the leader, its key goes everywhere
      requests.onCompleted();
      assertThat(await(() -> KVGrpc.newBlockingStub(fch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .range(RangeRequest.newBuilder().setKey(key).build()).getCount() == 0, Duration.ofSeconds(4 * TTL + 10)))
          .as("key deleted once the lease expired").isTrue();
      assertThat(LeaseGrpc.newBlockingStub(fch).withDeadlineAfter(30, TimeUnit.SECONDS)
          .leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).build()).getTTL()).isEqualTo(-1);
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      for (Process p : procs) {
        p.destroy();
      }
      for (Process p : procs) {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(15, TimeUnit.SECONDS);
        }
      }
      if (!Boolean.getBoolean("strata.it.keepData")) {
        deleteTree(dir);
      }
    }
  }

  private static List<String> command(String engine, String name, String initialCluster, int clientPort,
      int peerPort, Path dataDir) {
    String clientUrl = "http://127.0.0.1:" + clientPort;
    String peerUrl = "http://127.0.0.1:" + peerPort;
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(dev.strata.server.it.MemberJvm.options());
    cmd.addAll(List.of("-Xmx512m",
        "-cp", System.getProperty("java.class.path"), "dev.strata.server.Main",
        "--name", name, "--data-dir", dataDir.toString(), "--backend", engine,
        "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", initialCluster));
    return cmd;
  }

  private static boolean contains(Path log, String text) {
    try {
      return Files.exists(log) && new String(Files.readAllBytes(log), StandardCharsets.UTF_8).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  /** Polls with backoff (1 ms → 200 ms) until the condition holds or the timeout passes. */
  private static boolean await(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = TimeUnit.MILLISECONDS.toNanos(1);
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(200));
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort
    }
  }
}
