package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.server.lease.proto.LeaseLeasesRequest;
import dev.strata.server.lease.proto.LeaseLeasesResponse;
import dev.strata.server.lease.proto.LeaseStatus;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Lease service of a real in-process member per engine, through jetcd's Lease client and etcd's
 * raw stubs: grant/keepalive/timetolive/revoke/leases and their errors, keys attached by Put and
 * deleted by a revoke in one revision, expiry by the leader's loop, and remaining TTLs kept across a
 * restart by checkpoints.
 */
class LeaseJetcdTest {

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static void expectError(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).isEqualTo(message);
    });
  }

  @ParameterizedTest
  @MethodSource("engines")
  void grantKeepAliveTimeToLiveRevokeLeases(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort());
         Client client = Client.builder().endpoints("http://127.0.0.1:" + m.clients.port(0)).build()) {
      var lease = LeaseGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      var kv = KVGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      Lease jl = client.getLeaseClient();

      var granted = jl.grant(60).get(30, TimeUnit.SECONDS);
      assertThat(granted.getID()).isPositive();
      assertThat(granted.getTTL()).isEqualTo(60);
      var short1 = jl.grant(1).get(30, TimeUnit.SECONDS);
      assertThat(short1.getTTL()).as("raised to ceil(1.5 s)").isEqualTo(2);
      var ttl = jl.timeToLive(granted.getID(), LeaseOption.DEFAULT).get(30, TimeUnit.SECONDS);
      assertThat(ttl.getTTL()).isBetween(58L, 60L);
      assertThat(ttl.getGrantedTTL()).isEqualTo(60);

      var g100 = lease.leaseGrant(LeaseGrantRequest.newBuilder().setID(100).setTTL(30).build());
      assertThat(g100.getID()).isEqualTo(100);
      assertThat(g100.getHeader().getMemberId()).isEqualTo(m.member.server().identity().memberId());
      expectError(() -> lease.leaseGrant(LeaseGrantRequest.newBuilder().setID(100).setTTL(30).build()),
          Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists");
      expectError(() -> lease.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(9_000_000_001L).build()),
          Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL");
      expectError(() -> lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(4242).build()),
          Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
      expectError(() -> kv.put(PutRequest.newBuilder().setKey(b("x")).setLease(4242).build()),
          Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
      var unknown = lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(4242).build());
      assertThat(unknown.getTTL()).isEqualTo(-1);
      assertThat(unknown.getID()).isEqualTo(4242);

      // keepalive: one reply per request in order; unknown → TTL 0 and the stream stays open
      BlockingQueue<io.etcd.jetcd.api.LeaseKeepAliveResponse> replies = new ArrayBlockingQueue<>(10);
      CompletableFuture<Throwable> ended = new CompletableFuture<>();
      StreamObserver<LeaseKeepAliveRequest> stream = LeaseGrpc.newStub(m.channel).leaseKeepAlive(new StreamObserver<>() {
        @Override
        public void onNext(io.etcd.jetcd.api.LeaseKeepAliveResponse r) {
          replies.add(r);
        }

        @Override
        public void onError(Throwable t) {
          ended.complete(t);
        }

        @Override
        public void onCompleted() {
          ended.complete(null);
        }
      });
      stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(100).build());
      stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(4242).build());
      stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(granted.getID()).build());
      var r1 = replies.poll(30, TimeUnit.SECONDS);
      var r2 = replies.poll(30, TimeUnit.SECONDS);
      var r3 = replies.poll(30, TimeUnit.SECONDS);
      assertThat(List.of(r1.getID(), r1.getTTL(), r2.getID(), r2.getTTL(), r3.getID(), r3.getTTL()))
          .containsExactly(100L, 30L, 4242L, 0L, granted.getID(), 60L);
      assertThat(r1.getHeader().getRevision()).isPositive();
      assertThat(r1.getHeader().getClusterId()).isEqualTo(m.member.server().identity().clusterId());
      stream.onCompleted();
      assertThat(ended.get(30, TimeUnit.SECONDS)).isNull();
      assertThat(jl.keepAliveOnce(granted.getID()).get(30, TimeUnit.SECONDS).getTTL()).isEqualTo(60);

      LeaseLeasesResponse all = ClientCalls.blockingUnaryCall(m.channel, LeaseService.LEASE_LEASES,
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), LeaseLeasesRequest.getDefaultInstance());
      // short1 is listed or has expired by now, depending on how fast this machine ran the calls above
      assertThat(all.getLeasesList()).extracting(LeaseStatus::getID).filteredOn(id -> id != short1.getID())
          .containsExactlyInAnyOrder(100L, granted.getID());
      assertThat(all.getHeader().getRevision()).isPositive();

      // keys: attached by Put, listed by TimeToLive, deleted together by Revoke in one revision
      long r0 = kv.put(PutRequest.newBuilder().setKey(b("l/b")).setValue(b("1")).setLease(100).build())
          .getHeader().getRevision();
      kv.put(PutRequest.newBuilder().setKey(b("l/a")).setValue(b("2")).setLease(100).build());
      kv.put(PutRequest.newBuilder().setKey(b("l/c")).setValue(b("3")).build());
      var withKeys = lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(100).setKeys(true).build());
      assertThat(withKeys.getKeysList()).containsExactly(b("l/a"), b("l/b"));
      assertThat(withKeys.getGrantedTTL()).isEqualTo(30);
      var revoked = lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(100).build());
      assertThat(revoked.getHeader().getRevision()).isEqualTo(r0 + 3);
      var left = kv.range(RangeRequest.newBuilder().setKey(b("l/")).setRangeEnd(b("l0")).build());
      assertThat(left.getKvsList()).extracting(k -> k.getKey().toStringUtf8()).containsExactly("l/c");

      CompletableFuture<WatchResponse> first = new CompletableFuture<>();
      try (var w = client.getWatchClient().watch(bs("l/"), WatchOption.builder().isPrefix(true)
          .withRevision(r0 + 3).build(), first::complete)) {
        WatchResponse resp = first.get(30, TimeUnit.SECONDS);
        assertThat(resp.getEvents()).extracting(e -> e.getEventType() + " " + e.getKeyValue().getKey()
            + "@" + e.getKeyValue().getModRevision())
            .containsExactly("DELETE l/a@" + (r0 + 3), "DELETE l/b@" + (r0 + 3));
      }
      expectError(() -> lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(100).build()),
          Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
      assertThat(m.halted.get()).isNull();
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void expiredLeaseIsRevokedByTheLeaderWhileKeptAliveOneStays(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort());
         Client client = Client.builder().endpoints("http://127.0.0.1:" + m.clients.port(0)).build()) {
      Lease jl = client.getLeaseClient();
      long expiring = jl.grant(2).get(30, TimeUnit.SECONDS).getID();
      // kept's TTL leaves a keep-alive that comes a second late (busy CI machine) a margin; jetcd
      // renews about every 0.7-1.2 s
      long keptTtl = 4;
      long kept = jl.grant(keptTtl).get(30, TimeUnit.SECONDS).getID();
      long keptGranted = System.nanoTime();
      var kv = client.getKVClient();
      long rev = kv.put(bs("e/gone"), bs("x"), PutOption.builder().withLeaseId(expiring).build())
          .get(30, TimeUnit.SECONDS).getHeader().getRevision();
      kv.put(bs("e/kept"), bs("y"), PutOption.builder().withLeaseId(kept).build()).get(30, TimeUnit.SECONDS);

      CompletableFuture<WatchEvent> deleted = new CompletableFuture<>();
      BlockingQueue<LeaseKeepAliveResponse> alive = new ArrayBlockingQueue<>(100);
      try (var keepAlive = jl.keepAlive(kept, new StreamObserver<>() {
             @Override
             public void onNext(LeaseKeepAliveResponse r) {
               alive.offer(r);
             }

             @Override
             public void onError(Throwable t) {}

             @Override
             public void onCompleted() {}
           });
           var w = client.getWatchClient().watch(bs("e/"), WatchOption.builder().isPrefix(true)
               .withRevision(rev + 1).build(), (WatchResponse r) -> r.getEvents().stream()
               .filter(e -> e.getEventType() == WatchEvent.EventType.DELETE).findFirst()
               .ifPresent(deleted::complete))) {
        WatchEvent e = deleted.get(30, TimeUnit.SECONDS);
        assertThat(e.getKeyValue().getKey()).isEqualTo(bs("e/gone"));
        assertThat(alive.poll(30, TimeUnit.SECONDS).getTTL()).isEqualTo(keptTtl);
        // outlive kept's own TTL only by its renewals: wait for replies until it is older than that
        while (System.nanoTime() - keptGranted <= TimeUnit.SECONDS.toNanos(keptTtl + 1)) {
          assertThat(alive.poll(30, TimeUnit.SECONDS)).as("keep-alive reply").isNotNull();
        }
        // the expired lease is gone (-1), the renewed one and its key outlived their TTL. Its
        // remaining TTL is whole seconds, truncated as etcd does, so "still granted" is >= 0
        assertThat(jl.timeToLive(expiring, LeaseOption.DEFAULT).get(30, TimeUnit.SECONDS).getTTL()).isEqualTo(-1);
        assertThat(jl.timeToLive(kept, LeaseOption.DEFAULT).get(30, TimeUnit.SECONDS).getTTL()).isNotNegative();
        assertThat(kv.get(bs("e/kept")).get(30, TimeUnit.SECONDS).getKvs()).hasSize(1);
      }
      assertThat(m.halted.get()).isNull();
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void checkpointedRemainingTtlSurvivesRestart(String engine) throws Exception {
    int peerPort = TestMember.freePort();
    String property = "strata.lease.checkpointIntervalMs";
    System.setProperty(property, "300");
    try {
      long id = 777;
      try (TestMember m = TestMember.start(dir, engine, peerPort)) {
        var lease = LeaseGrpc.newBlockingStub(m.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        lease.leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(30).build());
        // Wait (bounded) until ≥ 5 s have passed: checkpoints every 300 ms then hold ≤ 26 s.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).build()).getTTL() > 24) {
          assertThat(System.nanoTime()).as("lease TTL never went down").isLessThan(deadline);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
      }
      try (TestMember m = TestMember.start(dir, engine, peerPort)) {
        var lease = LeaseGrpc.newBlockingStub(m.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        var ttl = lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).build());
        // without the checkpoint it would restart at 30 + 1 s of election timeout
        assertThat(ttl.getTTL()).isBetween(10L, 27L);
        assertThat(ttl.getGrantedTTL()).isEqualTo(30);
      }
    } finally {
      System.clearProperty(property);
    }
  }
}
