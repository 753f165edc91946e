package dev.strata.server.cluster;

import static dev.strata.server.cluster.ClusterTesting.all;
import static dev.strata.server.cluster.ClusterTesting.await;
import static dev.strata.server.cluster.ClusterTesting.LEADER;
import static dev.strata.server.cluster.ClusterTesting.MEMBER_ID;
import static dev.strata.server.cluster.ClusterTesting.first;
import static dev.strata.server.cluster.ClusterTesting.memberId;
import static dev.strata.server.cluster.ClusterTesting.memberList;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.cluster.LocalCluster.Node;
import dev.strata.server.it.Etcdctl;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 3-member cluster driven with etcdctl and jetcd: every member lists the same members (with their
 * advertised client URLs, so {@code --cluster} commands reach all of them), move-leader transfers
 * leadership, and after kill -9 of the leader a new one takes writes within seconds, no acknowledged
 * write is lost, and HashKV agrees on all members at the same revision.
 */
class ClusterMembershipIT {

  private static final Pattern HASH = Pattern.compile("\"hash\":(\\d+)");

  @ParameterizedTest
  @ValueSource(strings = {"btree,btree,btree", "lsm,lsm,lsm", "btree,lsm,btree"})
  void membershipLeadershipAndFailover(String engines) throws Exception {
    try (LocalCluster cluster = LocalCluster.start(engines.split(","))) {
      List<Node> nodes = cluster.nodes();

      // MemberList: identical members on every member, each with its name and client URL. A member
      // lists from its own applied state (as etcd 3.4 does): another member's publish reaches it with
      // the leader's next append, so each member is awaited until it has applied every publish
      String expected = null;
      for (Node n : nodes) {
        await(() -> {
          String list = memberList(n);
          return nodes.stream().allMatch(m -> list.contains("\"name\":\"" + m.name + "\""));
        }, Duration.ofSeconds(10));
        Etcdctl.Result r = new Etcdctl(n.clientUrl()).run("member", "list", "-w", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String members = r.stdout().substring(r.stdout().indexOf("\"members\""));
        for (Node m : nodes) {
          assertThat(members).contains("\"name\":\"" + m.name + "\"", "\"clientURLs\":[\"" + m.clientUrl() + "\"]");
        }
        assertThat(r.stdout()).doesNotContain("\"revision\"");
        if (expected == null) {
          expected = members;
        }
        assertThat(members).isEqualTo(expected);
      }

      // endpoint status --cluster: reaches all members through the listed client URLs, one leader
      Etcdctl any = new Etcdctl(nodes.get(0).clientUrl());
      Etcdctl.Result status = any.run("endpoint", "status", "--cluster", "-w", "json");
      assertThat(status.exitCode()).as(status.toString()).isZero();
      assertThat(all(MEMBER_ID, status.stdout())).hasSize(3);
      assertThat(new HashSet<>(all(LEADER, status.stdout()))).hasSize(1);
      assertThat(status.stdout()).contains("\"raftIndex\":", "\"raftAppliedIndex\":");
      long leader = Long.parseUnsignedLong(all(LEADER, status.stdout()).get(0));

      // MoveLeader: refused by a follower, done by the leader
      // the follower that becomes leader, and is then killed
      Node movedTo = byId(nodes, status.stdout(), leader, false);
      long target = memberId(movedTo);
      try (Client c = Client.builder().endpoints(movedTo.clientUrl()).build()) {
        assertThatFails(() -> c.getMaintenanceClient().moveLeader(target).get(10, TimeUnit.SECONDS),
            "etcdserver: not leader");
      }
      Etcdctl all = new Etcdctl(cluster.endpoints());
      Etcdctl.Result moved = all.run("move-leader", Long.toHexString(target));
      assertThat(moved.exitCode()).as(moved.toString()).isZero();
      assertThat(moved.stdout()).contains("Leadership transferred");
      assertThat(currentLeader(any)).isEqualTo(target);

      // kill -9 the leader: writes continue on the others, nothing acknowledged is lost
      List<String> acked = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        assertThat(all.run("put", "k" + i, "v" + i).exitCode()).isZero();
        acked.add("k" + i);
      }
      movedTo.kill9();
      Etcdctl survivors = new Etcdctl(cluster.endpoints());
      long killedAt = System.nanoTime();
      await(() -> survivors.run("put", "after-kill", "x").exitCode() == 0, Duration.ofSeconds(20));
      long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertThat(failoverMs).as("write after leader kill").isLessThan(15_000);
      for (int i = 20; i < 40; i++) {
        assertThat(survivors.run("put", "k" + i, "v" + i).exitCode()).isZero();
        acked.add("k" + i);
      }
      Etcdctl.Result keys = survivors.run("get", "k", "--prefix", "--keys-only");
      assertThat(keys.exitCode()).as(keys.toString()).isZero();
      assertThat(keys.stdout().lines().toList()).as(keys.toString()).containsAll(acked);

      // the killed member comes back, replays the log and agrees on HashKV at the same revision
      cluster.restart(movedTo);
      Etcdctl.Result rev = survivors.run("get", "after-kill", "-w", "json");
      long revision = Long.parseLong(first(Pattern.compile("\"revision\":(\\d+)"), rev.stdout()));
      Etcdctl everyone = new Etcdctl(cluster.endpoints());
      await(() -> {
        Etcdctl.Result h = everyone.run("endpoint", "hashkv", "--rev=" + revision, "-w", "json");
        List<String> hashes = all(HASH, h.stdout());
        return h.exitCode() == 0 && hashes.size() == 3 && new HashSet<>(hashes).size() == 1;
      }, Duration.ofSeconds(60));

      // MemberRemove: unknown id → not found; a dead follower is removed, the rest keep serving
      Node leaderNode = byId(nodes, "", currentLeader(everyone), true);
      Etcdctl atLeader = new Etcdctl(leaderNode.clientUrl());
      Etcdctl.Result unknown = atLeader.run("member", "remove", "1234abcd");
      assertThat(unknown.exitCode()).isNotZero();
      assertThat(unknown.stderr()).contains("etcdserver: member not found");
      Node dead = byId(nodes, "", currentLeader(everyone), false);
      long deadId = memberId(dead);
      dead.kill9();
      Etcdctl.Result removed = atLeader.run("member", "remove", Long.toHexString(deadId));
      assertThat(removed.exitCode()).as(removed.toString()).isZero();
      Etcdctl rest = new Etcdctl(cluster.endpoints());
      assertThat(rest.run("put", "after-remove", "y").exitCode()).isZero();
      String remaining = null;
      for (Node n : nodes) {
        if (n.alive()) {
          // the follower may not have applied the removal yet when the leader answered
          await(() -> !memberList(n).contains("\"ID\":" + Long.toUnsignedString(deadId) + ","),
              Duration.ofSeconds(10));
          String out = new Etcdctl(n.clientUrl()).run("member", "list", "-w", "json").stdout();
          String members = out.substring(out.indexOf("\"members\""));
          assertThat(all(Pattern.compile("\"ID\":(\\d+)"), members)).hasSize(2)
              .doesNotContain(Long.toUnsignedString(deadId));
          remaining = remaining == null ? members : remaining;
          assertThat(members).isEqualTo(remaining);
        }
      }
    }
  }

  private static long currentLeader(Etcdctl c) {
    return Long.parseUnsignedLong(first(LEADER, c.run("endpoint", "status", "-w", "json").stdout()));
  }

  /** The first member that is ({@code isLeader}) or is not the leader. */
  private static Node byId(List<Node> nodes, String status, long leader, boolean isLeader) {
    for (Node n : nodes) {
      if ((memberId(n) == leader) == isLeader) {
        return n;
      }
    }
    throw new AssertionError("no such member in " + status);
  }

  private interface Call {
    void run() throws Exception;
  }

  private static void assertThatFails(Call call, String message) throws Exception {
    try {
      call.run();
    } catch (ExecutionException e) {
      assertThat(String.valueOf(e.getCause())).contains(message);
      return;
    }
    throw new AssertionError("expected failure: " + message);
  }

}
