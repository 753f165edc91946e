package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import dev.strata.server.it.EtcdProcess;
import io.etcd.jetcd.api.CampaignRequest;
import io.etcd.jetcd.api.CampaignResponse;
import io.etcd.jetcd.api.ElectionGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaderKey;
import io.etcd.jetcd.api.LeaderRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.ProclaimRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.ResignRequest;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Lock and Election services of real etcd and of Strata (per engine) given the same calls with
 * the same lease ids: every response (header revision, keys, leader keys, kvs) and every error (gRPC
 * code and text) must be equal; cluster_id, member_id and raft_term are ignored.
 */
class LockElectionDifferentialIT {

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** One call's outcome as text: the response without header ids, or the status. */
  private static String outcome(Supplier<? extends Message> call) {
    try {
      return TextFormat.shortDebugString(stripIds(call.get()));
    } catch (StatusRuntimeException e) {
      return "error " + e.getStatus().getCode() + ": " + e.getStatus().getDescription();
    }
  }

  private static Message stripIds(Message m) {
    var f = m.getDescriptorForType().findFieldByName("header");
    if (f == null || !m.hasField(f)) {
      return m;
    }
    ResponseHeader h = (ResponseHeader) m.getField(f);
    return m.toBuilder().setField(f, ResponseHeader.newBuilder().setRevision(h.getRevision()).build()).build();
  }

  private static List<String> script(Channel ch) {
    var lease = LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
    var lock = LockGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
    var asyncLock = LockGrpc.newFutureStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
    var election = ElectionGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
    List<String> out = new ArrayList<>();
    for (long id : new long[] {0x1001, 0x1002, 0x1003}) {
      out.add(outcome(() -> lease.leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(60).build())));
    }
    // Lock: first holder, re-lock by the same session, a missing lease, a waiter, unlocks
    LockResponse first = lock.lock(LockRequest.newBuilder().setName(b("dl")).setLease(0x1001).build());
    out.add(TextFormat.shortDebugString(stripIds(first)));
    out.add(outcome(() -> lock.lock(LockRequest.newBuilder().setName(b("dl")).setLease(0x1001).build())));
    out.add(outcome(() -> lock.lock(LockRequest.newBuilder().setName(b("dl")).setLease(0x9999).build())));
    var waiter = asyncLock.lock(LockRequest.newBuilder().setName(b("dl")).setLease(0x1002).build());
    awaitKeys(ch, "dl/", 2); // the waiter's key is in place before the holder unlocks
    out.add("waiter done before unlock: " + waiter.isDone());
    out.add(outcome(() -> lock.unlock(UnlockRequest.newBuilder().setKey(first.getKey()).build())));
    out.add(outcome(() -> {
      try {
        return waiter.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }));
    out.add(outcome(() -> lock.unlock(UnlockRequest.newBuilder().setKey(b("dl/absent")).build())));

    // Election
    out.add(outcome(() -> election.leader(LeaderRequest.newBuilder().setName(b("de")).build())));
    CampaignResponse won = election.campaign(CampaignRequest.newBuilder().setName(b("de")).setLease(0x1001)
        .setValue(b("a")).build());
    out.add(TextFormat.shortDebugString(stripIds(won)));
    out.add(outcome(() -> election.campaign(CampaignRequest.newBuilder().setName(b("de")).setLease(0x1001)
        .setValue(b("a2")).build())));
    LeaderKey leader = won.getLeader();
    out.add(outcome(() -> election.proclaim(ProclaimRequest.newBuilder().setLeader(leader).setValue(b("b")).build())));
    out.add(outcome(() -> election.proclaim(ProclaimRequest.newBuilder().setValue(b("x")).build())));
    LeaderKey stale = leader.toBuilder().setRev(leader.getRev() - 1).build();
    out.add(outcome(() -> election.proclaim(ProclaimRequest.newBuilder().setLeader(stale).setValue(b("x")).build())));
    out.add(outcome(() -> election.leader(LeaderRequest.newBuilder().setName(b("de")).build())));
    out.add(outcome(() -> election.resign(ResignRequest.newBuilder().setLeader(stale).build())));
    out.add(outcome(() -> election.resign(ResignRequest.getDefaultInstance())));
    out.add(outcome(() -> election.resign(ResignRequest.newBuilder().setLeader(leader).build())));
    out.add(outcome(() -> election.leader(LeaderRequest.newBuilder().setName(b("de")).build())));
    return out;
  }

  /** Bounded polling until {@code n} keys exist under {@code prefix}. */
  private static void awaitKeys(Channel ch, String prefix, long n) {
    var kv = KVGrpc.newBlockingStub(ch);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (kv.withDeadlineAfter(30, TimeUnit.SECONDS).range(RangeRequest.newBuilder().setKey(b(prefix))
        .setRangeEnd(b(prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1)))
        .setCountOnly(true).build()).getCount() != n) {
      assertThat(System.nanoTime()).as("keys under " + prefix).isLessThan(deadline);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void sameResponsesAsEtcd(String engine) throws Exception {
    List<String> etcdOut;
    try (EtcdProcess etcd = EtcdProcess.start()) {
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", etcd.clientPort()).usePlaintext().build();
      try {
        etcdOut = script(ch);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort())) {
      List<String> strataOut = script(m.channel);
      System.out.println("etcd:\n  " + String.join("\n  ", etcdOut));
      assertThat(strataOut).containsExactlyElementsOf(etcdOut);
      assertThat(m.halted.get()).isNull();
    }
  }
}
