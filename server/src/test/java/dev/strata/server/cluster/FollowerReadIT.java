package dev.strata.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.cluster.LocalCluster.Node;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.api.StatusResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Linearizable reads through followers (Ratis ReadIndex): a write acknowledged by the leader is seen
 * by a linearizable get sent right after it to each follower, at its revision or later, with its value.
 * Writes sent to a follower are forwarded to the leader and acknowledged with that follower's header
 * (its member_id, the cluster_id, the current raft_term), as etcd's header fill does. Seeded:
 * {@code -Dstrata.seed=N} replays the key/op sequence.
 */
class FollowerReadIT {

  private static final int ROUNDS = 100;
  private static final int KEYS = 8;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"btree,btree,btree", "lsm,lsm,lsm", "btree,lsm,lsm"})
  void followersReadTheLatestAcknowledgedWrite(String engines) throws Exception {
    long seed = seed();
    Random random = new Random(seed);
    long started = System.nanoTime();
    try (LocalCluster cluster = LocalCluster.start(engines.split(","));
        RawClients raw = new RawClients(cluster.nodes())) {
      List<Node> nodes = cluster.nodes();
      long leaderId = raw.status(nodes.get(0)).getLeader();
      Node leader = null;
      List<Node> followers = new ArrayList<>();
      for (Node n : nodes) {
        if (raw.status(n).getHeader().getMemberId() == leaderId) {
          leader = n;
        } else {
          followers.add(n);
        }
      }
      assertThat(leader).as("leader " + Long.toHexString(leaderId)).isNotNull();
      assertThat(followers).hasSize(2);

      List<Client> clients = new ArrayList<>();
      try {
        Client atLeader = bound(leader, clients);
        List<Client> atFollowers = new ArrayList<>();
        for (Node f : followers) {
          atFollowers.add(bound(f, clients));
        }

        // write through the leader, read at once through each follower (linearizable, the default)
        long roundsStart = System.nanoTime();
        for (int i = 0; i < ROUNDS; i++) {
          String key = "fr/" + random.nextInt(KEYS);
          String value = "v" + i + "-" + random.nextInt(1_000_000);
          PutResponse put = atLeader.getKVClient().put(bytes(key), bytes(value)).get(30, TimeUnit.SECONDS);
          long rev = put.getHeader().getRevision();
          // followers in a seeded order, so both go first in some rounds
          List<Client> order = new ArrayList<>(atFollowers);
          java.util.Collections.shuffle(order, random);
          for (Client c : order) {
            GetResponse got = c.getKVClient().get(bytes(key)).get(30, TimeUnit.SECONDS);
            String where = "round " + i + " seed " + seed + " key " + key + " put rev " + rev;
            assertThat(got.getHeader().getRevision()).as(where).isGreaterThanOrEqualTo(rev);
            assertThat(got.getKvs()).as(where).hasSize(1);
            KeyValue kv = got.getKvs().get(0);
            assertThat(kv.getModRevision()).as(where).isEqualTo(rev);
            assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).as(where).isEqualTo(value);
          }
        }
        System.out.printf("[FollowerReadIT] %s: %d rounds (1 put + 2 follower reads) in %d ms%n", engines, ROUNDS,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - roundsStart));

        // writes sent to a follower: forwarded, acknowledged with that follower's header
        StatusResponse leaderStatus = raw.status(leader);
        long clusterId = leaderStatus.getHeader().getClusterId();
        for (int i = 0; i < followers.size(); i++) {
          Node f = followers.get(i);
          Client c = atFollowers.get(i);
          long memberId = raw.status(f).getHeader().getMemberId();
          String key = "fw/" + i;
          PutResponse put = c.getKVClient().put(bytes(key), bytes("x"), PutOption.builder().withPrevKV().build())
              .get(30, TimeUnit.SECONDS);
          assertHeader(put.getHeader(), clusterId, memberId, raw.status(leader).getRaftTerm(), f);
          TxnResponse txn = c.getKVClient().txn()
              .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(put.getHeader().getRevision())))
              .Then(Op.put(bytes(key), bytes("y"), PutOption.DEFAULT))
              .commit().get(30, TimeUnit.SECONDS);
          assertThat(txn.isSucceeded()).isTrue();
          assertHeader(txn.getHeader(), clusterId, memberId, raw.status(leader).getRaftTerm(), f);
          assertThat(txn.getHeader().getRevision()).isEqualTo(put.getHeader().getRevision() + 1);
          // the leader serves the forwarded write at the revision the follower reported
          GetResponse atL = atLeader.getKVClient().get(bytes(key)).get(30, TimeUnit.SECONDS);
          assertThat(atL.getKvs().get(0).getModRevision()).isEqualTo(txn.getHeader().getRevision());
          assertThat(atL.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8)).isEqualTo("y");
          assertThat(atL.getHeader().getMemberId()).isEqualTo(leaderId);
          // and a serializable read on the follower itself has it once applied there
          GetResponse local = c.getKVClient().get(bytes(key), GetOption.builder().withSerializable(true).build())
              .get(30, TimeUnit.SECONDS);
          assertThat(local.getHeader().getMemberId()).isEqualTo(memberId);
          assertThat(local.getKvs().get(0).getModRevision()).isEqualTo(txn.getHeader().getRevision());
        }
        // forwarding is quiet: Ratis logged "Failed* RaftClientRequest ... NotLeaderException" at ERROR
        // on every follower's first forwarded write, its client having tried a follower first
        for (Node f : followers) {
          assertThat(f.logText().lines().filter(l -> l.contains("] ERROR "))).as(f + " log").isEmpty();
        }
      } finally {
        clients.forEach(Client::close);
      }
    }
    System.out.printf("[FollowerReadIT] total %s: %d ms%n", engines,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /**
   * A survivor of a quorum loss keeps trying ReadIndex calls to the stopped members, so gRPC holds its
   * channels to them in growing connect backoff. When one of them comes back and leads, the survivor's
   * linearizable reads must reach it at once: before RaftNode dropped such a channel, they failed for
   * two request timeouts (16 s measured). The backoff is the transport's, not an engine's: one mixed
   * cluster covers both engines.
   */
  @Test
  void aSurvivorReadsThroughALeaderBackFromALongOutage() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("btree", "lsm", "btree");
        RawClients raw = new RawClients(cluster.nodes())) {
      List<Node> nodes = cluster.nodes();
      long leaderId = raw.status(nodes.get(0)).getLeader();
      Node leader = nodes.stream().filter(n -> memberId(raw, n) == leaderId).findFirst().orElseThrow();
      List<Node> others = nodes.stream().filter(n -> n != leader).toList();
      Node stoppedToo = others.get(0);
      Node survivor = others.get(1);
      raw.kv(leader, 20).put(PutRequest.newBuilder().setKey(utf8("bo/k")).setValue(utf8("v1")).build());

      leader.stop();
      stoppedToo.stop();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      int failed = 0;
      while (System.nanoTime() < until) {
        try {
          raw.kv(survivor, 3).range(RangeRequest.newBuilder().setKey(utf8("bo/k")).build());
        } catch (StatusRuntimeException expected) {
          failed++; // no quorum: the read cannot complete
        }
      }
      assertThat(failed).as("linearizable reads without quorum").isPositive();

      cluster.restartAll(List.of(leader, stoppedToo));
      ClusterTesting.await(() -> {
        try {
          raw.kv(leader, 10).put(PutRequest.newBuilder().setKey(utf8("bo/k")).setValue(utf8("v2")).build());
          return true;
        } catch (StatusRuntimeException e) {
          return false;
        }
      }, java.time.Duration.ofSeconds(60));
      long current = raw.status(leader).getLeader();
      if (current != leaderId) {
        Node at = nodes.stream().filter(n -> memberId(raw, n) == current).findFirst().orElseThrow();
        raw.maintenance(at).moveLeader(MoveLeaderRequest.newBuilder().setTargetID(leaderId).build());
      }
      ClusterTesting.await(() -> raw.status(survivor).getLeader() == leaderId, java.time.Duration.ofSeconds(10));

      // well within one request timeout (7 s): the old channel would still be backing off
      RangeResponse r = raw.kv(survivor, 5).range(RangeRequest.newBuilder().setKey(utf8("bo/k")).build());
      assertThat(r.getKvs(0).getValue().toStringUtf8()).isEqualTo("v2");
    }
  }

  private static long memberId(RawClients raw, Node n) {
    return raw.status(n).getHeader().getMemberId();
  }

  private static com.google.protobuf.ByteString utf8(String s) {
    return com.google.protobuf.ByteString.copyFromUtf8(s);
  }

  private static void assertHeader(Response.Header h, long clusterId, long memberId, long term, Node via) {
    assertThat(h.getClusterId()).as("cluster_id via " + via).isEqualTo(clusterId);
    assertThat(h.getMemberId()).as("member_id via " + via).isEqualTo(memberId);
    assertThat(h.getRaftTerm()).as("raft_term via " + via).isEqualTo(term);
    assertThat(h.getRevision()).as("revision via " + via).isPositive();
  }

  /** A jetcd client bound to this member only (no balancing to others). */
  private static Client bound(Node n, List<Client> opened) {
    Client c = Client.builder().endpoints(n.clientUrl()).build();
    opened.add(c);
    return c;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** {@code -Dstrata.seed=N} replays; otherwise a fresh seed, printed. */
  private static long seed() {
    String configured = System.getProperty("strata.seed");
    long seed = configured == null || configured.isBlank() ? new SecureRandom().nextLong() : Long.parseLong(configured.trim());
    System.out.printf("[FollowerReadIT] seed=%d (replay: -Dstrata.seed=%d)%n", seed, seed);
    return seed;
  }
}
