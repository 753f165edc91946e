package dev.strata.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.strata.server.cluster.LocalCluster.Node;
import dev.strata.server.it.Etcdctl;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 5-member cluster keeps serving with 2 members stopped (the leader among them): a new leader takes
 * writes, linearizable reads continue and no acknowledged write is lost. With a 3rd stopped it has no
 * quorum, and the survivors answer as a real etcd 3.4.23 cluster does in the same state (measured
 * with a 3-member etcd, 2 stopped):
 * <ul>
 *   <li>Put: after the request timeout (5 s + 2 x election timeout = 7 s), UNKNOWN
 *       {@code context deadline exceeded} (etcd returns the raw context error: no leader takes the
 *       proposal); etcdctl, whose 5 s command timeout ends first, prints {@code context deadline
 *       exceeded} and exits 1;
 *   <li>linearizable Range: after 7 s, UNAVAILABLE {@code etcdserver: request timed out};
 *   <li>any call carrying {@code hasleader: true}: at once, UNAVAILABLE {@code etcdserver: no leader};
 *       such streams already open end with it after 3 leaderless election timeouts;
 *   <li>serializable Range: answered locally; Status lists {@code etcdserver: no leader} in errors.
 * </ul>
 * Restarting the stopped members restores service, and all members agree on HashKV at one revision.
 * Each engine set runs in one cluster lifetime to keep the test lean on 2 cores.
 */
class ClusterQuorumIT {

  /** etcd's ReqTimeout with the default --election-timeout of 1 s. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(7);
  private static final String PREFIX = "q/";

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"btree,btree,btree,btree,btree", "lsm,lsm,lsm,lsm,lsm", "btree,lsm,btree,lsm,btree"})
  void toleratesTwoStoppedMembersAndFailsLikeEtcdWithoutQuorum(String engines) throws Exception {
    long started = System.nanoTime();
    try (LocalCluster cluster = LocalCluster.start(engines.split(","));
        RawClients raw = new RawClients(cluster.nodes())) {
      List<Node> nodes = cluster.nodes();
      lap("5 members serving", started);
      Map<String, Long> acked = new ConcurrentHashMap<>(); // key -> mod revision of its acknowledged put
      for (int i = 0; i < 10; i++) {
        Node via = nodes.get(i % nodes.size());
        acked.put(PREFIX + "a" + i, raw.kv(via, 20).put(put(PREFIX + "a" + i, "v")).getHeader().getRevision());
      }

      // watches that require a leader (etcdctl watch sets hasleader): ended once leaderless too long
      Map<Node, CompletableFuture<Status>> watches = new java.util.HashMap<>();
      for (Node n : nodes) {
        watches.put(n, raw.watchRequiringLeader(n, PREFIX + "watched"));
      }

      // stop 2 members, the leader among them (kill -9 the leader, SIGTERM a follower), while a
      // writer keeps going through every member still alive
      Node leader = leaderNode(raw, nodes);
      Node follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
      AtomicBoolean writing = new AtomicBoolean(true);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        for (int i = 0; writing.get(); i++) {
          Node via = nodes.get(i % nodes.size());
          if (!via.alive()) {
            continue;
          }
          String key = PREFIX + "w" + i;
          try {
            acked.put(key, raw.kv(via, 10).put(put(key, "w")).getHeader().getRevision());
          } catch (StatusRuntimeException e) {
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // not acknowledged: may or may not exist
          }
        }
      });
      long leaderId = raw.status(leader).getHeader().getMemberId();
      leader.kill9();
      follower.stop();
      long stoppedAt = System.nanoTime();
      List<Node> three = alive(nodes);
      await(() -> {
        Long seen = raw.leaderSeenBy(three.get(0));
        return seen != null && seen != 0 && seen != leaderId && raw.kv(three.get(0), 20).put(put(PREFIX + "probe", "x")) != null;
      }, Duration.ofSeconds(30));
      lap("new leader after stopping 2 of 5", stoppedAt);
      int before = acked.size();
      // generous: on a loaded 2-core machine 5 JVMs plus builds make each write slow
      await(() -> acked.size() >= before + 5, Duration.ofSeconds(60));
      writing.set(false);
      writer.get(60, TimeUnit.SECONDS);
      for (Node n : three) {
        assertAllAcknowledged(raw, n, acked);
      }

      // a 3rd member stops (the new leader): no quorum, no leader on the 2 survivors
      Node third = leaderNode(raw, three);
      third.stop();
      List<Node> two = alive(nodes);
      long lostAt = System.nanoTime();
      // as etcd: a follower not heard from its leader for an election timeout (here at most 2 s)
      // knows no leader, although the two survivors' vote requests keep Ratis' own timers from firing
      // (which took 1-30+ s before members tracked the leader's appends themselves)
      await(() -> two.stream().allMatch(n -> Long.valueOf(0).equals(raw.leaderSeenBy(n))), Duration.ofSeconds(10));
      lap("survivors report no leader", lostAt);

      // the slow answers run together: put, linearizable get (raw, no client retry), etcdctl put
      CompletableFuture<Failure> putFailure = CompletableFuture.supplyAsync(
          () -> failure(() -> raw.kv(two.get(0), 30).put(put(PREFIX + "lost", "x"))));
      CompletableFuture<Failure> getFailure = CompletableFuture.supplyAsync(
          () -> failure(() -> raw.kv(two.get(1), 30).range(range(PREFIX + "a0", false))));
      CompletableFuture<Etcdctl.Result> etcdctlPut = CompletableFuture.supplyAsync(
          () -> new Etcdctl(two.get(1).clientUrl()).run("put", PREFIX + "lost2", "x"));

      // meanwhile, the fast ones: serializable reads answer locally
      Etcdctl.Result serializable = new Etcdctl(two.get(0).clientUrl()).run("get", PREFIX + "a0", "--consistency=s");
      assertThat(serializable.exitCode()).as(serializable.toString()).isZero();
      assertThat(serializable.stdout()).contains(PREFIX + "a0\nv");
      RangeResponse local = raw.kv(two.get(1), 10).range(range(PREFIX, true));
      assertThat(keyRevisions(local)).containsAllEntriesOf(acked);
      // require-leader metadata: refused at once, even a serializable read
      Failure noLeaderPut = failure(() -> raw.kvRequiringLeader(two.get(0), 10).put(put(PREFIX + "nl", "x")));
      Failure noLeaderGet = failure(() -> raw.kvRequiringLeader(two.get(1), 10).range(range(PREFIX + "a0", true)));
      for (Failure f : List.of(noLeaderPut, noLeaderGet)) {
        assertThat(f.status().getCode()).as(f.toString()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(f.status().getDescription()).isEqualTo("etcdserver: no leader");
        // "at once" = not after the request timeout; the bound leaves room for a stall on a busy machine
        assertThat(f.elapsed()).isLessThan(REQUEST_TIMEOUT.dividedBy(2));
      }
      Etcdctl.Result status = new Etcdctl(two.get(0).clientUrl()).run("endpoint", "status");
      assertThat(status.stdout()).as(status.toString()).contains("etcdserver: no leader");

      Failure p = putFailure.get(60, TimeUnit.SECONDS);
      assertThat(p.status().getCode()).as(p.toString()).isEqualTo(Status.Code.UNKNOWN);
      assertThat(p.status().getDescription()).isEqualTo("context deadline exceeded");
      assertThat(p.elapsed()).isBetween(REQUEST_TIMEOUT.minusMillis(500), REQUEST_TIMEOUT.plusSeconds(4));
      Failure g = getFailure.get(60, TimeUnit.SECONDS);
      assertThat(g.status().getCode()).as(g.toString()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(g.status().getDescription()).isEqualTo("etcdserver: request timed out");
      assertThat(g.elapsed()).isBetween(REQUEST_TIMEOUT.minusMillis(500), REQUEST_TIMEOUT.plusSeconds(4));
      Etcdctl.Result e = etcdctlPut.get(60, TimeUnit.SECONDS);
      assertThat(e.exitCode()).as(e.toString()).isEqualTo(1);
      assertThat(e.stderr()).contains("context deadline exceeded");
      // etcd's monitorLeader: open require-leader streams end after 3 leaderless election timeouts
      for (Node n : two) {
        Status ended = watches.get(n).get(15, TimeUnit.SECONDS);
        assertThat(ended.getCode()).as("watch on " + n + ": " + ended).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(ended.getDescription()).isEqualTo("etcdserver: no leader");
      }
      Status refused = raw.watchRequiringLeader(two.get(0), PREFIX + "watched").get(15, TimeUnit.SECONDS);
      assertThat(refused.getDescription()).as(refused.toString()).isEqualTo("etcdserver: no leader");
      lap("quorum-loss answers", lostAt);

      // the stopped members come back: service resumes, nothing acknowledged is lost, all converge
      List<Node> stopped = nodes.stream().filter(n -> !n.alive()).toList();
      long restartAt = System.nanoTime();
      cluster.restartAll(stopped);
      long[] revision = new long[1];
      await(() -> {
        try {
          revision[0] = raw.kv(nodes.get(0), 20).put(put(PREFIX + "after", "y")).getHeader().getRevision();
          return true;
        } catch (StatusRuntimeException ex) {
          return false;
        }
      }, Duration.ofSeconds(60));
      acked.put(PREFIX + "after", revision[0]);
      lap("restarted 3, writes again", restartAt);
      for (Node n : nodes) {
        assertAllAcknowledged(raw, n, acked);
      }
      await(() -> {
        Set<Long> hashes = new HashSet<>();
        for (Node n : nodes) {
          try {
            hashes.add((long) raw.maintenance(n).hashKV(HashKVRequest.newBuilder().setRevision(revision[0]).build()).getHash());
          } catch (StatusRuntimeException ex) {
            return false; // not applied up to the revision yet
          }
        }
        return hashes.size() == 1;
      }, Duration.ofSeconds(60));
      lap("HashKV equal on 5 members at revision " + revision[0], restartAt);
    }
    lap("total " + engines, started);
  }

  /** Linearizable reads through {@code n} see every acknowledged write at its revision. */
  private static void assertAllAcknowledged(RawClients raw, Node n, Map<String, Long> acked) {
    RangeResponse r;
    long start = System.nanoTime();
    try {
      r = raw.kv(n, 20).range(range(PREFIX, false));
    } catch (StatusRuntimeException e) {
      String status;
      try {
        status = raw.status(n).toString().replace('\n', ' ');
      } catch (StatusRuntimeException s) {
        status = s.toString();
      }
      throw new AssertionError("linearizable read through " + n + " failed after "
          + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms: " + e.getStatus() + "; status: " + status, e);
    }
    assertThat(keyRevisions(r)).as("acknowledged writes read through " + n).containsAllEntriesOf(acked);
  }

  private static Map<String, Long> keyRevisions(RangeResponse r) {
    Map<String, Long> out = new java.util.HashMap<>();
    for (KeyValue kv : r.getKvsList()) {
      out.put(kv.getKey().toStringUtf8(), kv.getModRevision());
    }
    return out;
  }

  private static Node leaderNode(RawClients raw, List<Node> among) {
    long[] leader = new long[1];
    await(() -> {
      Long seen = raw.leaderSeenBy(among.get(0));
      leader[0] = seen == null ? 0 : seen;
      return leader[0] != 0;
    }, Duration.ofSeconds(30));
    for (Node n : among) {
      if (raw.status(n).getHeader().getMemberId() == leader[0]) {
        return n;
      }
    }
    throw new AssertionError("leader " + Long.toHexString(leader[0]) + " is not among " + among);
  }

  private static List<Node> alive(List<Node> nodes) {
    return nodes.stream().filter(Node::alive).toList();
  }

  private static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build();
  }

  /** {@code prefix}: the whole range under {@code key}; otherwise the one key. */
  private static RangeRequest range(String key, boolean serializable) {
    RangeRequest.Builder b = RangeRequest.newBuilder().setKey(bytes(key)).setSerializable(serializable);
    if (key.endsWith("/")) {
      byte[] end = key.getBytes(StandardCharsets.UTF_8);
      end[end.length - 1]++;
      b.setRangeEnd(ByteString.copyFrom(end));
    }
    return b.build();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  record Failure(Status status, Duration elapsed) {}

  private static Failure failure(Runnable call) {
    long start = System.nanoTime();
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return new Failure(e.getStatus(), Duration.ofNanos(System.nanoTime() - start));
    }
    throw new AssertionError("expected the call to fail");
  }

  private static void lap(String what, long since) {
    System.out.printf("[ClusterQuorumIT] %s: %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
  }

  /** {@link ClusterTesting#await}, a gRPC failure counting as "not yet". */
  static void await(BooleanSupplier condition, Duration timeout) {
    ClusterTesting.await(() -> safely(condition), timeout);
  }

  private static boolean safely(BooleanSupplier condition) {
    try {
      return condition.getAsBoolean();
    } catch (StatusRuntimeException e) {
      return false;
    }
  }
}
