package dev.strata.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.server.cluster.LocalCluster.Node;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Snapshot catch-up end to end on 3 real member processes: a follower that misses more entries than
 * the leader keeps ({@code --snapshot-count 100 --experimental-snapshot-catchup-entries 50}) installs a
 * snapshot of the leader's store into its own engine and goes on from the log — after a restart, and
 * live, in a process that was paused (SIGSTOP) with watches open on it. In the mixed cluster the
 * lagging member runs the other engine than the leader. Seeded: {@code -Dstrata.seed=N} replays.
 */
class ClusterSnapshotCatchUpIT {

  private static final List<String> FLAGS = List.of("--snapshot-count", "100",
      "--experimental-snapshot-catchup-entries", "50");
  private static final String RESTORED = "store restored from snapshot";
  private static final Duration AWAIT = Duration.ofSeconds(90);

  @ParameterizedTest
  @ValueSource(strings = {"btree,btree,btree", "lsm,lsm,lsm", "btree,lsm,btree"})
  void stoppedFollowerInstallsASnapshotWhenRestarted(String engines) throws Exception {
    long seed = Long.getLong("strata.seed", System.nanoTime());
    System.out.println("ClusterSnapshotCatchUpIT seed=" + seed + " engines=" + engines);
    Random rnd = new Random(seed);
    try (LocalCluster cluster = LocalCluster.start(FLAGS, engines.split(","));
        Channels ch = new Channels(cluster)) {
      Node leader = ch.leader();
      Node lagging = laggingFollower(cluster, leader);
      Node other = other(cluster, leader, lagging);
      System.out.println("leader=" + leader + " lagging=" + lagging);
      long stoppedAt = ch.maintenance(leader).status(StatusRequest.getDefaultInstance()).getRaftIndex();
      lagging.stop();

      // well past snapshot-count + catch-up entries: keys, a lease, deletes, a compaction
      long lease = ch.lease(leader).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(600).build()).getID();
      long rev = 0;
      for (int i = 0; i < 400; i++) {
        PutRequest.Builder put = PutRequest.newBuilder().setKey(bs("snap/k" + String.format("%04d", i)))
            .setValue(bs("v" + i + "-" + rnd.nextInt()));
        if (i % 9 == 0) {
          put.setLease(lease);
        }
        rev = ch.kv(leader).put(put.build()).getHeader().getRevision();
      }
      long compactAt = rev - 100;
      ch.kv(leader).deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("snap/k0100")).setRangeEnd(bs("snap/k0150")).build());
      ch.kv(leader).compact(CompactionRequest.newBuilder().setRevision(compactAt).build());
      for (int i = 0; i < 200; i++) {
        int k = rnd.nextInt(350);
        k = k < 100 ? k : k + 50; // not the deleted range: 350 keys stay
        rev = ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("snap/k" + String.format("%04d", k)))
            .setValue(bs("w" + i)).build()).getHeader().getRevision();
      }

      awaitPurged(ch, leader, stoppedAt);
      int restoresBefore = count(lagging.logText(), RESTORED);
      cluster.restart(lagging); // returns once it serves: after the install and the log tail
      ch.reconnect(lagging);
      assertThat(count(lagging.logText(), RESTORED)).as("installed a snapshot, not a log replay")
          .isEqualTo(restoresBefore + 1);
      assertThat(lagging.logText()).contains("snapshot installed: appliedIndex=");

      // it serves the new state: serializable (local) and linearizable reads equal the leader's
      RangeRequest all = RangeRequest.newBuilder().setKey(bs("snap/")).setRangeEnd(bs("snap0")).build();
      long finalRev = rev;
      await(() -> ch.kv(lagging).range(all.toBuilder().setSerializable(true).build()).getHeader().getRevision()
          >= finalRev, "lagging member applied up to " + finalRev);
      List<KeyValue> expected = ch.kv(leader).range(all).getKvsList();
      assertThat(expected).hasSize(350);
      assertThat(ch.kv(lagging).range(all.toBuilder().setSerializable(true).build()).getKvsList()).isEqualTo(expected);
      assertThat(ch.kv(lagging).range(all).getKvsList()).isEqualTo(expected);
      assertThat(expected.stream().filter(k -> k.getLease() == lease)).isNotEmpty();
      assertThatThrownBy(() -> ch.kv(lagging).range(all.toBuilder().setRevision(compactAt - 1).build()))
          .hasMessageContaining("required revision has been compacted");
      assertHashKvEqual(ch, cluster, rev);

      // it keeps applying after the install, including a revoke that needs its rebuilt lessor
      long after = ch.kv(lagging).put(PutRequest.newBuilder().setKey(bs("snap/after")).setValue(bs("1")).build())
          .getHeader().getRevision();
      ch.lease(other).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build());
      long last = ch.kv(lagging).put(PutRequest.newBuilder().setKey(bs("snap/last")).setValue(bs("2")).build())
          .getHeader().getRevision();
      assertThat(last).isEqualTo(after + 2);
      for (Node n : cluster.nodes()) {
        List<KeyValue> kvs = ch.kv(n).range(all).getKvsList();
        assertThat(kvs).as(n.toString()).noneMatch(k -> k.getLease() == lease);
        assertThat(kvs).as(n.toString()).anyMatch(k -> k.getKey().equals(bs("snap/last")));
      }
      assertHashKvEqual(ch, cluster, last);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree,btree,btree", "lsm,lsm,lsm", "btree,lsm,btree"})
  void pausedFollowerInstallsASnapshotLiveAndItsWatchesCatchUp(String engines) throws Exception {
    long seed = Long.getLong("strata.seed", System.nanoTime());
    System.out.println("ClusterSnapshotCatchUpIT seed=" + seed + " engines=" + engines);
    Random rnd = new Random(seed);
    try (LocalCluster cluster = LocalCluster.start(FLAGS, engines.split(","));
        Channels ch = new Channels(cluster)) {
      Node leader = ch.leader();
      Node lagging = laggingFollower(cluster, leader);
      System.out.println("leader=" + leader + " lagging=" + lagging);
      long r = ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("other/start")).setValue(bs("0")).build())
          .getHeader().getRevision();
      await(() -> ch.kv(lagging).range(RangeRequest.newBuilder().setKey(bs("other/start")).setSerializable(true)
          .build()).getCount() == 1, "lagging member has revision " + r);

      // watches on the member about to lag: one whose next revision the snapshot will have compacted,
      // one of a revision after the compaction (a future revision when created)
      long compactAt = r + 200;
      WatchRecorder watch = new WatchRecorder(ch.channel(lagging));
      watch.create(1, "live/", r + 1);
      watch.create(2, "live/", compactAt + 1);
      long pid = lagging.pid();
      int restoresBefore = count(lagging.logText(), RESTORED);

      long pausedAt = ch.maintenance(leader).status(StatusRequest.getDefaultInstance()).getRaftIndex();
      lagging.pause();
      List<String> values = new ArrayList<>();
      long rev = r;
      try {
        // First big entries on another prefix: the leader pipelines appends to the paused member up to
        // gRPC's flow-control window (1 MiB); these fill it, so what the member finds queued in its
        // socket when it resumes is at most these, and the rest must come from a snapshot.
        byte[] big = new byte[16 * 1024];
        for (int i = 0; i < 150; i++) {
          rnd.nextBytes(big);
          ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("pad/" + i)).setValue(ByteString.copyFrom(big)).build());
        }
        for (int i = 0; i < 50; i++) {
          rev = ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("live/a" + i)).setValue(bs("a" + rnd.nextInt())).build())
              .getHeader().getRevision();
        }
        assertThat(rev).as("no other writer").isEqualTo(compactAt);
        ch.kv(leader).compact(CompactionRequest.newBuilder().setRevision(compactAt).build());
        for (int i = 0; i < 400; i++) {
          String v = "b" + i + "-" + rnd.nextInt();
          values.add(v);
          rev = ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("live/b" + (i % 37))).setValue(bs(v)).build())
              .getHeader().getRevision();
        }
        awaitPurged(ch, leader, pausedAt + 200);
      } finally {
        lagging.resume();
      }

      // the install happens in the running process...
      await(() -> count(lagging.logText(), RESTORED) == restoresBefore + 1, "live snapshot install on " + lagging);
      assertThat(lagging.alive()).isTrue();
      assertThat(lagging.pid()).isEqualTo(pid);
      // ...and its watches go on: the compacted one is cancelled with etcd's compact_revision, the
      // other delivers every revision after the compaction, in order, then live events
      long lastRev = rev;
      await(() -> watch.lastRevision(2) >= lastRev, "watch 2 caught up to " + lastRev);
      long next = ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("live/c")).setValue(bs("c")).build())
          .getHeader().getRevision();
      await(() -> watch.lastRevision(2) >= next, "watch 2 got the live event at " + next);
      List<Event> events = watch.events(2);
      assertThat(events).hasSize(401);
      for (int i = 0; i < 400; i++) {
        assertThat(events.get(i).getKv().getModRevision()).isEqualTo(compactAt + 1 + i);
        assertThat(events.get(i).getKv().getValue().toStringUtf8()).isEqualTo(values.get(i));
      }
      assertThat(events.get(400).getKv().getKey()).isEqualTo(bs("live/c"));
      // Watch 1 may have seen the first revisions from the log (appends queued in the socket while
      // paused), never a gap: then, as in etcd, compacted if its next revision is below the snapshot's
      // compaction, else it catches up like watch 2.
      List<Event> first = watch.events(1);
      for (int i = 0; i < first.size(); i++) {
        assertThat(first.get(i).getKv().getModRevision()).isEqualTo(r + 151 + i);
      }
      if (first.size() < 50) {
        await(() -> watch.compactRevision(1) != 0, "watch 1 cancelled as compacted");
        assertThat(watch.compactRevision(1)).isEqualTo(compactAt);
        assertThat(watch.events(1)).hasSize(first.size());
      } else {
        await(() -> watch.lastRevision(1) >= next, "watch 1 caught up to " + next);
        assertThat(watch.events(1)).hasSize(50 + 401);
      }
      System.out.println("watch 1 saw " + first.size() + " events from the log before the install");
      watch.close();

      assertHashKvEqual(ch, cluster, next);
      long after = ch.kv(lagging).put(PutRequest.newBuilder().setKey(bs("live/after")).setValue(bs("x")).build())
          .getHeader().getRevision();
      assertHashKvEqual(ch, cluster, after);
    }
  }

  /**
   * Waits until the leader purged its log past {@code index + 1}, writing big values under "pad/" to
   * fill and close log segments (Ratis purges whole closed segments, of at least 1 MiB): only then
   * must a member that stopped at {@code index} install a snapshot.
   */
  private static void awaitPurged(Channels ch, Node leader, long index) {
    byte[] big = new byte[16 * 1024];
    int[] n = {0};
    await(() -> {
      if (leader.firstLogIndex() > index + 1) {
        return true;
      }
      for (int i = 0; i < 16; i++) {
        ch.kv(leader).put(PutRequest.newBuilder().setKey(bs("pad/p" + n[0]++)).setValue(ByteString.copyFrom(big))
            .build());
      }
      return false;
    }, "leader purged its log past " + (index + 1));
  }

  /** A follower; in a mixed cluster one whose engine differs from the leader's. */
  private static Node laggingFollower(LocalCluster cluster, Node leader) {
    Node pick = null;
    for (Node n : cluster.nodes()) {
      if (n != leader && (pick == null || (!n.engine.equals(leader.engine) && pick.engine.equals(leader.engine)))) {
        pick = n;
      }
    }
    return pick;
  }

  private static Node other(LocalCluster cluster, Node a, Node b) {
    return cluster.nodes().stream().filter(n -> n != a && n != b).findFirst().orElseThrow();
  }

  /** HashKV at {@code rev} on every member, once each has applied it: one value. */
  private static void assertHashKvEqual(Channels ch, LocalCluster cluster, long rev) {
    Map<String, Integer> hashes = new HashMap<>();
    for (Node n : cluster.nodes()) {
      // a linearizable read first: the member has applied everything committed before it
      ch.kv(n).range(RangeRequest.newBuilder().setKey(bs("x")).build());
      HashKVResponse h = ch.maintenance(n).hashKV(HashKVRequest.newBuilder().setRevision(rev).build());
      hashes.put(n.toString(), h.getHash());
    }
    assertThat(hashes.values().stream().distinct()).as("HashKV at %d: %s", rev, hashes).hasSize(1);
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private static int count(String text, String line) {
    int c = 0;
    for (int i = text.indexOf(line); i >= 0; i = text.indexOf(line, i + 1)) {
      c++;
    }
    return c;
  }

  private static ByteString bs(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  /** One gRPC channel per member, with a deadline on every call. */
  private static final class Channels implements AutoCloseable {
    private final LocalCluster cluster;
    private final Map<Node, ManagedChannel> channels = new HashMap<>();

    Channels(LocalCluster cluster) {
      this.cluster = cluster;
      cluster.nodes().forEach(this::reconnect);
    }

    void reconnect(Node n) {
      ManagedChannel old = channels.put(n, NettyChannelBuilder.forAddress("127.0.0.1", n.clientPort)
          .usePlaintext().build());
      if (old != null) {
        old.shutdownNow();
      }
    }

    ManagedChannel channel(Node n) {
      return channels.get(n);
    }

    /** A stub whose deadline starts now: take a new one per call. */
    KVGrpc.KVBlockingStub kv(Node n) {
      return KVGrpc.newBlockingStub(channels.get(n)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    LeaseGrpc.LeaseBlockingStub lease(Node n) {
      return LeaseGrpc.newBlockingStub(channels.get(n)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    MaintenanceGrpc.MaintenanceBlockingStub maintenance(Node n) {
      return MaintenanceGrpc.newBlockingStub(channels.get(n)).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** The member every member agrees leads (waits through an election). */
    Node leader() {
      Node[] found = new Node[1];
      await(() -> {
        Map<Long, Node> byId = new HashMap<>();
        long leaderId = 0;
        for (Node n : cluster.nodes()) {
          StatusResponse s = attempt(() -> maintenance(n).status(StatusRequest.getDefaultInstance()));
          if (s == null || s.getLeader() == 0 || (leaderId != 0 && s.getLeader() != leaderId)) {
            return false;
          }
          leaderId = s.getLeader();
          byId.put(s.getHeader().getMemberId(), n);
        }
        found[0] = byId.get(leaderId);
        return found[0] != null;
      }, "one leader");
      return found[0];
    }

    private static <T> T attempt(Supplier<T> call) {
      try {
        return call.get();
      } catch (StatusRuntimeException e) {
        return null;
      }
    }

    @Override
    public void close() {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
  }

  /** A raw Watch stream recording every response by watch id. */
  private static final class WatchRecorder implements AutoCloseable {
    private final StreamObserver<WatchRequest> requests;
    private final Map<Long, List<WatchResponse>> byId = new HashMap<>();
    private Throwable failed;

    WatchRecorder(ManagedChannel channel) {
      requests = WatchGrpc.newStub(channel).watch(new StreamObserver<>() {
        @Override
        public void onNext(WatchResponse r) {
          synchronized (WatchRecorder.this) {
            byId.computeIfAbsent(r.getWatchId(), k -> new ArrayList<>()).add(r);
          }
        }

        @Override
        public void onError(Throwable t) {
          synchronized (WatchRecorder.this) {
            failed = t;
          }
        }

        @Override
        public void onCompleted() {
        }
      });
    }

    /** Creates watch {@code id} on a prefix from {@code startRev} and waits for its created reply. */
    void create(long id, String prefix, long startRev) {
      ByteString key = bs(prefix);
      byte[] end = key.toByteArray();
      end[end.length - 1]++;
      WatchCreateRequest.Builder c = WatchCreateRequest.newBuilder().setKey(key).setRangeEnd(ByteString.copyFrom(end))
          .setStartRevision(startRev);
      // the client-chosen watch_id (field 7) is absent from jetcd-grpc 0.8.5: send it as an unknown field
      c.setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(7,
          com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(id).build()).build());
      synchronized (this) {
        requests.onNext(WatchRequest.newBuilder().setCreateRequest(c).build());
      }
      await(() -> responses(id).stream().anyMatch(WatchResponse::getCreated), "watch " + id + " created");
    }

    synchronized List<WatchResponse> responses(long id) {
      if (failed != null) {
        throw new AssertionError("watch stream failed", failed);
      }
      return new ArrayList<>(byId.getOrDefault(id, List.of()));
    }

    List<Event> events(long id) {
      List<Event> out = new ArrayList<>();
      responses(id).forEach(r -> out.addAll(r.getEventsList()));
      return out;
    }

    long lastRevision(long id) {
      List<Event> evs = events(id);
      return evs.isEmpty() ? 0 : evs.get(evs.size() - 1).getKv().getModRevision();
    }

    long compactRevision(long id) {
      return responses(id).stream().filter(r -> r.getCanceled() && r.getCompactRevision() != 0)
          .mapToLong(WatchResponse::getCompactRevision).findFirst().orElse(0);
    }

    @Override
    public synchronized void close() {
      requests.onCompleted();
    }
  }
}
