package dev.strata.server.lease;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.strata.server.it.StrataProcess;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A member process killed with -9 keeps its leases, their attached keys and the checkpointed remaining
 * TTL (replayed from the Raft log / read from the LEASE bucket), per engine. Needs the packaged server
 * ({@code mvn -pl server package -DskipTests}).
 */
class LeaseKill9IT {

  private static final String JVM_ARGS = "strata.it.jvmArgs";

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void remainingTtlAndKeysSurviveKill9(String engine) {
    // StrataProcess reads its JVM options at launch: shorten the checkpoint interval for this member.
    String before = System.getProperty(JVM_ARGS);
    System.setProperty(JVM_ARGS, "-Xmx512m -Dstrata.lease.checkpointIntervalMs=300");
    try (StrataProcess member = StrataProcess.start(engine)) {
      long id = 4242;
      ManagedChannel ch = channel(member);
      try {
        var lease = LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
        var kv = KVGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
        lease.leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(30).build());
        kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("crash/k")).setLease(id).build());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).build()).getTTL() > 24) {
          assertThat(System.nanoTime()).as("lease TTL never went down").isLessThan(deadline);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
      } finally {
        ch.shutdownNow();
      }
      member.kill9();
      member.restart();
      ch = channel(member);
      try {
        var lease = LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
        var kv = KVGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
        var ttl = lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(true).build());
        assertThat(ttl.getTTL()).as("checkpointed remaining + election timeout, not 30 + 1").isBetween(10L, 27L);
        assertThat(ttl.getGrantedTTL()).isEqualTo(30);
        assertThat(ttl.getKeysList()).containsExactly(ByteString.copyFromUtf8("crash/k"));
        lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build());
        assertThat(kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("crash/k")).build())
            .getCount()).isZero();
      } finally {
        ch.shutdownNow();
      }
    } finally {
      if (before == null) {
        System.clearProperty(JVM_ARGS);
      } else {
        System.setProperty(JVM_ARGS, before);
      }
    }
  }

  private static ManagedChannel channel(StrataProcess member) {
    return NettyChannelBuilder.forAddress("127.0.0.1", member.clientPort()).usePlaintext().build();
  }
}
