package dev.strata.server.cluster;

import static dev.strata.server.cluster.ClusterTesting.await;
import static dev.strata.server.cluster.ClusterTesting.leaderId;
import static dev.strata.server.cluster.ClusterTesting.memberId;
import static dev.strata.server.cluster.ClusterTesting.memberList;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.cluster.LocalCluster.Node;
import dev.strata.server.it.Etcdctl;
import dev.strata.server.it.FreePorts;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Moving a member to a new peer port, as an operator does it with etcd: {@code etcdctl member update
 * <id> --peer-urls=<new>}, then restart the member at once with its data dir on the new port. The others
 * must reach it at the new address (Ratis keeps one connection per peer id and never re-dials a new
 * address by itself): the moved member applies what is written after its restart and serves a
 * linearizable read, and every member lists the new URL.
 *
 * <p>The leader moves first: it is stopped right after the update is acknowledged, so the Raft
 * configuration change that carries the new address may have to be made by its successor while it is
 * down (the hard case). A follower moves second. A writer keeps writing throughout, and the members
 * keep a short log, so a moved member may have to catch up by snapshot; every acknowledged write ends
 * up on every member.
 */
class PeerMoveIT {

  @ParameterizedTest
  @ValueSource(strings = {"btree,btree,btree", "lsm,lsm,lsm", "btree,lsm,btree"})
  void aMovedMemberIsReachedAtItsNewPeerUrl(String engines) throws Exception {
    List<String> flags = List.of(ClusterReconfigIT.SNAPSHOT_FLAGS.split(" "));
    try (LocalCluster cluster = LocalCluster.start(flags, engines.split(","))) {
      List<Node> nodes = cluster.nodes();
      LoadWriter writer = LoadWriter.start(nodes.stream().map(Node::clientUrl).toArray(String[]::new));
      try (writer) {
        writer.awaitMore(5);
        Node leader = leader(nodes);
        move(cluster, leader, "after-leader-move");
        writer.awaitMore(5);
        Node follower = nodes.stream().filter(n -> n != leader && memberId(n) != leaderId(n)).findFirst().orElseThrow();
        move(cluster, follower, "after-follower-move");
        writer.awaitMore(5);
      }

      // all three still agree on everything written
      Etcdctl all = new Etcdctl(cluster.endpoints());
      Etcdctl.Result put = all.run("put", "final", "x");
      assertThat(put.exitCode()).as(put.toString()).isZero();
      for (Node n : nodes) {
        Etcdctl at = new Etcdctl(n.clientUrl());
        Etcdctl.Result get = at.run("get", "after-", "--prefix", "--keys-only");
        assertThat(get.stdout()).as(n.name + ": " + get).contains("after-leader-move", "after-follower-move");
        Etcdctl.Result keys = at.run("get", "w/", "--prefix", "--keys-only", "--consistency=s");
        assertThat(new java.util.HashSet<>(keys.stdout().lines().toList())).as(n.name)
            .containsAll(writer.summary().acked());
      }
    }
  }

  private static void move(LocalCluster cluster, Node moved, String key) throws Exception {
    List<Node> others = cluster.nodes().stream().filter(n -> n != moved).toList();
    Etcdctl atOthers = new Etcdctl(others.get(0).clientUrl() + "," + others.get(1).clientUrl());
    int movedPort = FreePorts.next();
    String movedUrl = "http://127.0.0.1:" + movedPort;
    Etcdctl.Result update = new Etcdctl(moved.clientUrl()).run("member", "update",
        Long.toHexString(memberId(moved)), "--peer-urls=" + movedUrl);
    assertThat(update.exitCode()).as(update.toString()).isZero();
    cluster.movePeerPort(moved, movedPort);
    assertThat(moved.peerUrl()).isEqualTo(movedUrl);

    Etcdctl.Result put = atOthers.run("put", key, "x");
    assertThat(put.exitCode()).as(put.toString()).isZero();
    Etcdctl atMoved = new Etcdctl(moved.clientUrl());
    awaitOrShowLogs(() -> atMoved.run("get", key, "--consistency=s").stdout().contains(key + "\nx"), cluster);
    Etcdctl.Result linearizable = atMoved.run("get", key);
    assertThat(linearizable.stdout()).as(linearizable.toString()).contains(key + "\nx");
    Etcdctl.Result through = atMoved.run("put", key + "-through-moved", "y");
    assertThat(through.exitCode()).as(through.toString()).isZero();
    for (Node n : cluster.nodes()) {
      awaitOrShowLogs(() -> memberList(n).contains("\"peerURLs\":[\"" + movedUrl + "\"]"), cluster);
    }
  }

  /** Waits up to 30 s; on failure the members' log tails say why (a moved member not reached, ...). */
  private static void awaitOrShowLogs(java.util.function.BooleanSupplier condition, LocalCluster cluster) {
    try {
      await(condition, Duration.ofSeconds(30));
    } catch (AssertionError e) {
      StringBuilder logs = new StringBuilder();
      for (Node n : cluster.nodes()) {
        logs.append("\n--- ").append(n).append('\n').append(LocalCluster.tail(n.logText()));
      }
      throw new AssertionError(e.getMessage() + logs, e);
    }
  }

  private static Node leader(List<Node> nodes) {
    long id = leaderId(nodes.get(0));
    return nodes.stream().filter(n -> memberId(n) == id).findFirst().orElseThrow();
  }
}
