package dev.strata.server.cluster;

import static dev.strata.server.cluster.ClusterTesting.all;
import static dev.strata.server.cluster.ClusterTesting.await;
import static dev.strata.server.cluster.ClusterTesting.MEMBER_ID;
import static dev.strata.server.cluster.ClusterTesting.first;
import static dev.strata.server.cluster.ClusterTesting.memberId;
import static dev.strata.server.cluster.ClusterTesting.memberList;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.cluster.LocalCluster.Node;
import dev.strata.server.it.EtcdProcess;
import dev.strata.server.it.Etcdctl;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Membership changes on a running 3-member cluster while a writer keeps writing, driven with etcdctl
 * as an operator would: add a learner (m4, on the other engine), start it with
 * {@code --initial-cluster-state existing}, watch it catch up by installing a snapshot (the members
 * keep a short log: {@code --snapshot-count 100 --experimental-snapshot-catchup-entries 50}, and the
 * test writes until every member purged its log's start, so the new member's empty store cannot catch
 * up from the log), promote it, remove m1, update a member's peer URLs. At the end every acknowledged
 * write is on every member and HashKV agrees at one revision. Error messages of refused changes are
 * compared with a real etcd 3.4.
 *
 * <p>{@code -Dstrata.it.reconfig.flags="..."} replaces the member flags (e.g. an empty string: the
 * default --snapshot-count, so m4 catches up from the log and the snapshot assertion is skipped).
 */
class ClusterReconfigIT {

  private static final Pattern HASH = Pattern.compile("\"hash\":(\\d+)");
  private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
  private static final Pattern APPLIED = Pattern.compile("\"raftAppliedIndex\":(\\d+)");
  private static final Pattern ADDED = Pattern.compile("Member\\s+([0-9a-f]+) added to cluster\\s+([0-9a-f]+)");
  private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"");

  /** A short log, so a new member must catch up by snapshot. */
  static final String SNAPSHOT_FLAGS = "--snapshot-count 100 --experimental-snapshot-catchup-entries 50";

  @ParameterizedTest
  @ValueSource(strings = {"btree,btree,btree", "lsm,lsm,lsm", "btree,lsm,btree"})
  void addPromoteRemoveUpdateUnderLoad(String engines) throws Exception {
    String[] e = engines.split(",");
    List<String> flags = List.of(System.getProperty("strata.it.reconfig.flags", SNAPSHOT_FLAGS).split(" ")).stream()
        .filter(f -> !f.isBlank()).toList();
    boolean bySnapshot = flags.contains("--snapshot-count");
    try (LocalCluster cluster = LocalCluster.start(flags, e)) {
      List<Node> nodes = new ArrayList<>(cluster.nodes());
      Node m1 = nodes.get(0);
      Node m2 = nodes.get(1);
      Node m3 = nodes.get(2);
      Node m4 = cluster.newNode("m4", e[0].equals("btree") ? "lsm" : "btree");
      Etcdctl stable = new Etcdctl(m2.clientUrl() + "," + m3.clientUrl());

      LoadWriter writer = LoadWriter.start(m2.clientUrl(), m3.clientUrl());
      try (writer) {
        writer.awaitMore(5);

        // member add --learner: listed at once, unstarted, on every member; the printout works as env
        Etcdctl.Result add = stable.run("member", "add", "m4", "--learner", "--peer-urls=" + m4.peerUrl());
        assertThat(add.exitCode()).as(add.toString()).isZero();
        Matcher added = ADDED.matcher(add.stdout());
        assertThat(added.find()).as(add.stdout()).isTrue();
        long m4Id = Long.parseUnsignedLong(added.group(1), 16);
        assertThat(add.stdout()).contains("ETCD_NAME=\"m4\"", "ETCD_INITIAL_CLUSTER_STATE=\"existing\"",
            "ETCD_INITIAL_ADVERTISE_PEER_URLS=\"" + m4.peerUrl() + "\"");
        Matcher ic = INITIAL_CLUSTER.matcher(add.stdout());
        assertThat(ic.find()).isTrue();
        String initialCluster = ic.group(1);
        for (Node n : List.of(m1, m2, m3, m4)) {
          assertThat(initialCluster).contains(n.name + "=" + n.peerUrl());
        }
        // MemberList answers from the member's own applied state, as etcd 3.4's does: only the member
        // that took the add has surely applied it; the others learn the commit with the next append
        for (Node n : List.of(m1, m2, m3)) {
          await(() -> memberList(n).contains("\"ID\":" + Long.toUnsignedString(m4Id)), Duration.ofSeconds(10));
          assertThat(memberList(n)).contains("\"ID\":" + Long.toUnsignedString(m4Id),
              "\"peerURLs\":[\"" + m4.peerUrl() + "\"],\"isLearner\":true");
        }

        // refused changes: the same messages as a real etcd 3.4 in the same situation
        compareErrorsWithEtcd(stable, m4, m2);

        // a learner that is not running is not in sync: promote refused (deterministic: match index 0)
        Etcdctl.Result early = stable.run("member", "promote", Long.toHexString(m4Id));
        assertThat(early.exitCode()).isNotZero();
        assertThat(early.stderr()).contains("etcdserver: can only promote a learner member which is in sync with leader");

        // enough writes that every member purged its log's start: m4 (empty) must install a snapshot
        if (bySnapshot) {
          padUntilPurged(m2.clientUrl() + "," + m3.clientUrl(), List.of(m1, m2, m3));
        }

        // start m4 as the printout says; it joins, catches up, and publishes
        long beforeJoin = writer.acked();
        cluster.join(m4, initialCluster);
        Etcdctl atM4 = new Etcdctl(m4.clientUrl());
        await(() -> memberList(m2).contains("\"name\":\"m4\""), Duration.ofSeconds(60));
        assertThat(m4.logText()).contains("joined existing cluster");
        if (bySnapshot) {
          await(() -> m4.logText().contains("store restored from snapshot"), Duration.ofSeconds(60));
        }

        // learner restrictions: serializable reads and status only
        Etcdctl.Result put = atM4.run("put", "on-learner", "x");
        assertThat(put.exitCode()).isNotZero();
        assertThat(put.stderr()).contains("etcdserver: rpc not supported for learner");
        assertThat(atM4.run("endpoint", "status").exitCode()).isZero();
        assertThat(atM4.run("get", "w/", "--prefix", "--limit=1", "--consistency=s").exitCode()).isZero();
        Etcdctl.Result linear = atM4.run("get", "w/", "--prefix", "--limit=1");
        assertThat(linear.stderr()).contains("etcdserver: rpc not supported for learner");

        // caught up: m4 applied as far as the leader had when we looked
        long target = applied(m2);
        await(() -> applied(m4) >= target, Duration.ofSeconds(60));
        writer.awaitMore(beforeJoin + 5 - writer.acked());

        // promote once in sync (the leader decides; retried while it still lags)
        await(() -> stable.run("member", "promote", Long.toHexString(m4Id)).exitCode() == 0, Duration.ofSeconds(30));
        await(() -> !memberList(m2).contains("\"isLearner\":true"), Duration.ofSeconds(10));
        await(() -> !memberList(m3).contains("\"isLearner\":true"), Duration.ofSeconds(10));
        await(() -> atM4.run("put", "on-m4", "promoted").exitCode() == 0, Duration.ofSeconds(30));
        writer.awaitMore(5);

        // remove m1: the others keep serving; m1 stops by itself and exits 0, as etcd's removed member does
        long m1Id = memberId(m1);
        Etcdctl.Result removed = stable.run("member", "remove", Long.toHexString(m1Id));
        assertThat(removed.exitCode()).as(removed.toString()).isZero();
        assertThat(removed.stdout()).contains("removed from cluster");
        await(() -> !m1.alive(), Duration.ofSeconds(60));
        assertThat(m1.exitCode()).as(LocalCluster.tail(m1.logText())).isZero();
        assertThat(m1.logText()).contains("the member has been permanently removed from the cluster");
        for (Node n : List.of(m2, m3, m4)) {
          await(() -> !memberList(n).contains("\"ID\":" + Long.toUnsignedString(m1Id) + ","), Duration.ofSeconds(30));
        }
        writer.awaitMore(5);

        // update m3's peer URLs: a second URL for the same port; every member lists it
        long m3Id = memberId(m3);
        String second = m3.peerUrl().replace("127.0.0.1", "localhost");
        Etcdctl.Result update = stable.run("member", "update", Long.toHexString(m3Id),
            "--peer-urls=" + m3.peerUrl() + "," + second);
        assertThat(update.exitCode()).as(update.toString()).isZero();
        assertThat(update.stdout()).contains("updated in cluster");
        for (Node n : List.of(m2, m3, m4)) {
          await(() -> memberList(n).contains("\"peerURLs\":[\"" + m3.peerUrl() + "\",\"" + second + "\"]"),
              Duration.ofSeconds(30));
        }
        writer.awaitMore(5);
      }

      // every acknowledged write on every remaining member; HashKV equal at one revision
      Etcdctl rest = new Etcdctl(m2.clientUrl() + "," + m3.clientUrl() + "," + m4.clientUrl());
      Etcdctl.Result last = rest.run("put", "final", "x", "-w", "json");
      assertThat(last.exitCode()).as(last.toString()).isZero();
      long revision = Long.parseLong(first(REVISION, last.stdout()));
      await(() -> {
        Etcdctl.Result h = rest.run("endpoint", "hashkv", "--rev=" + revision, "-w", "json");
        List<String> hashes = all(HASH, h.stdout());
        return h.exitCode() == 0 && hashes.size() == 3 && new HashSet<>(hashes).size() == 1;
      }, Duration.ofSeconds(60));
      LoadWriter.Summary summary = writer.summary();
      for (Node n : List.of(m2, m3, m4)) {
        Etcdctl.Result keys = new Etcdctl(n.clientUrl()).run("get", "w/", "--prefix", "--keys-only",
            "--consistency=s", "--rev=" + revision);
        assertThat(keys.exitCode()).as(keys.toString()).isZero();
        assertThat(new HashSet<>(keys.stdout().lines().toList())).as(n.name).containsAll(summary.acked());
      }
      System.out.printf("ClusterReconfigIT[%s]: acked=%d failed=%d longestGapMs=%d%n", engines,
          summary.acked().size(), summary.failed(), summary.longestGapMs());
    }
  }

  /**
   * The same refused changes against Strata and a single-member etcd 3.4 (each with one learner added
   * and not started): etcdctl's error line must be identical.
   */
  private static void compareErrorsWithEtcd(Etcdctl strata, Node learner, Node voter) {
    try (EtcdProcess etcd = EtcdProcess.start()) {
      Etcdctl real = new Etcdctl(etcd);
      String learnerUrl = "http://127.0.0.1:" + (learner.peerPort + 1000);
      long before = System.currentTimeMillis() / 1000;
      Etcdctl.Result realAdd = real.run("member", "add", "l1", "--learner", "--peer-urls=" + learnerUrl);
      long after = System.currentTimeMillis() / 1000;
      assertThat(realAdd.exitCode()).as(realAdd.toString()).isZero();
      // etcd's member id for an add: our NewMember port gives it for one second of the call
      Matcher realId = ADDED.matcher(realAdd.stdout());
      assertThat(realId.find()).as(realAdd.stdout()).isTrue();
      long etcdId = Long.parseUnsignedLong(realId.group(1), 16);
      boolean same = false;
      for (long t = before; t <= after; t++) {
        same |= dev.strata.server.membership.ClusterService.newMemberId(List.of(learnerUrl), t) == etcdId;
      }
      assertThat(same).as("etcd id %x for %s in [%d, %d]", etcdId, learnerUrl, before, after).isTrue();
      long realVoter = Long.parseUnsignedLong(first(MEMBER_ID, real.run("endpoint", "status", "-w", "json").stdout()));
      long strataVoter = memberId(voter);
      Map<String, List<List<String>>> cases = new LinkedHashMap<>();
      cases.put("bad URL", List.of(List.of("member", "add", "x", "--peer-urls=127.0.0.1:1"),
          List.of("member", "add", "x", "--peer-urls=127.0.0.1:1")));
      // with a second URL, so the new id differs from the learner's even within the same second (the id
      // hashes the URLs and the unix second; equal ones give etcd's "member ID already exist")
      cases.put("peer URL exists", List.of(
          List.of("member", "add", "x", "--learner", "--peer-urls=" + learner.peerUrl() + ",http://127.0.0.1:7"),
          List.of("member", "add", "x", "--learner", "--peer-urls=" + learnerUrl + ",http://127.0.0.1:7")));
      cases.put("too many learners", List.of(List.of("member", "add", "x", "--learner", "--peer-urls=http://127.0.0.1:9"),
          List.of("member", "add", "x", "--learner", "--peer-urls=http://127.0.0.1:9")));
      cases.put("promote a voter", List.of(List.of("member", "promote", Long.toHexString(strataVoter)),
          List.of("member", "promote", Long.toHexString(realVoter))));
      cases.put("remove unknown", List.of(List.of("member", "remove", "1234abcd"),
          List.of("member", "remove", "1234abcd")));
      cases.put("update unknown", List.of(List.of("member", "update", "1234abcd", "--peer-urls=http://127.0.0.1:9"),
          List.of("member", "update", "1234abcd", "--peer-urls=http://127.0.0.1:9")));
      cases.put("promote unknown", List.of(List.of("member", "promote", "1234abcd"),
          List.of("member", "promote", "1234abcd")));
      for (var c : cases.entrySet()) {
        Etcdctl.Result s = strata.run(c.getValue().get(0).toArray(String[]::new));
        Etcdctl.Result r = real.run(c.getValue().get(1).toArray(String[]::new));
        assertThat(r.exitCode()).as("etcd: " + c.getKey() + "\n" + r).isNotZero();
        assertThat(s.exitCode()).as("strata: " + c.getKey() + "\n" + s).isNotZero();
        assertThat(errorLine(s.stderr())).as(c.getKey() + "\nstrata: " + s + "\netcd: " + r).isEqualTo(errorLine(r.stderr()));
      }
    }
  }

  /**
   * Writes 16 KiB values under "pad/" (they fill and close log segments; Ratis purges whole closed
   * segments) until every one of {@code members} purged the start of its log.
   */
  private static void padUntilPurged(String endpoints, List<Node> members) throws Exception {
    ByteSequence big = ByteSequence.from(new byte[16 * 1024]);
    int n = 0;
    try (Client c = Client.builder().endpoints(endpoints.split(",")).build()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (!members.stream().allMatch(m -> m.firstLogIndex() > 1)) {
        assertThat(System.nanoTime()).as("members purged their logs' start within 120 s").isLessThan(deadline);
        List<java.util.concurrent.CompletableFuture<?>> puts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          puts.add(c.getKVClient().put(ByteSequence.from("pad/" + n++, StandardCharsets.UTF_8), big));
        }
        java.util.concurrent.CompletableFuture.allOf(puts.toArray(new java.util.concurrent.CompletableFuture[0]))
            .get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** etcdctl's "Error: ..." line (it may log retries as JSON before it). */
  private static String errorLine(String stderr) {
    return stderr.lines().filter(l -> l.startsWith("Error:")).findFirst().orElse(stderr);
  }

  private static long applied(Node n) {
    List<String> a = all(APPLIED, new Etcdctl(n.clientUrl()).run("endpoint", "status", "-w", "json").stdout());
    return a.isEmpty() ? -1 : Long.parseLong(a.get(0));
  }
}
