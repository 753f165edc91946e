package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Smoke test of a real member per engine through etcd's raw gRPC stubs: put/get/txn/delete/compact,
 * etcd's errors and headers, Status/HashKV, and a restart that must keep every acknowledged write.
 */
class KvSmokeTest {

  @TempDir
  Path dir;

  /** {@code -Dstrata.test.engines=btree} narrows the engines (both are on the test class path). */
  static Stream<String> engines() {
    return Stream.of(System.getProperty("strata.test.engines", "btree,lsm").split(","));
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @ParameterizedTest
  @MethodSource("engines")
  void putGetTxnCompactRestart(String engine) throws Exception {
    int peerPort = TestMember.freePort();
    long hashBefore;
    long revBefore;
    try (TestMember m = TestMember.start(dir, engine, peerPort)) {
      var kv = KVGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      PutResponse put = kv.put(PutRequest.newBuilder().setKey(b("foo")).setValue(b("bar")).build());
      long memberId = m.member.server().identity().memberId();
      assertThat(put.getHeader().getRevision()).isEqualTo(2);
      assertThat(put.getHeader().getMemberId()).isEqualTo(memberId);
      assertThat(put.getHeader().getClusterId()).isEqualTo(m.member.server().identity().clusterId());
      assertThat(put.getHeader().getRaftTerm()).isPositive();

      RangeResponse get = kv.range(RangeRequest.newBuilder().setKey(b("foo")).build());
      assertThat(get.getKvs(0).getValue()).isEqualTo(b("bar"));
      assertThat(get.getHeader().getMemberId()).isEqualTo(memberId);
      RangeResponse serial = kv.range(RangeRequest.newBuilder().setKey(b("foo")).setSerializable(true).build());
      assertThat(serial.getKvs(0).getValue()).isEqualTo(b("bar"));

      TxnResponse txn = kv.txn(TxnRequest.newBuilder()
          .addCompare(Compare.newBuilder().setKey(b("foo")).setTarget(Compare.CompareTarget.VALUE)
              .setResult(Compare.CompareResult.EQUAL).setValue(b("bar")))
          .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("foo")).setValue(b("baz"))))
          .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("a")).setValue(b("1"))))
          .addSuccess(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(b("foo"))))
          .build());
      assertThat(txn.getSucceeded()).isTrue();
      assertThat(txn.getHeader().getRevision()).isEqualTo(3);
      assertThat(txn.getResponses(2).getResponseRange().getKvs(0).getValue()).isEqualTo(b("baz"));

      TxnResponse readOnly = kv.txn(TxnRequest.newBuilder()
          .addSuccess(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(b("a")))).build());
      assertThat(readOnly.getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(b("1"));
      assertThat(readOnly.getHeader().getRevision()).isEqualTo(3);

      assertThat(kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(b("a")).build()).getDeleted()).isEqualTo(1);
      assertThat(kv.compact(CompactionRequest.newBuilder().setRevision(3).build()).getHeader().getRevision())
          .isEqualTo(4);
      assertStatus(() -> kv.range(RangeRequest.newBuilder().setKey(b("foo")).setRevision(2).build()),
          Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted");

      var maintenance = MaintenanceGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      StatusResponse status = maintenance.status(StatusRequest.getDefaultInstance());
      assertThat(status.getVersion()).isEqualTo("3.5.0");
      assertThat(status.getLeader()).isEqualTo(memberId);
      assertThat(status.getRaftIndex()).as("5 writes, 1 compaction").isGreaterThanOrEqualTo(4);
      assertThat(status.getDbSize()).isPositive();
      assertThat(status.getUnknownFields().hasField(7)).as("raftAppliedIndex").isTrue();
      var hash = maintenance.hashKV(HashKVRequest.newBuilder().setRevision(0).build());
      assertThat(hash.getCompactRevision()).isEqualTo(3);
      hashBefore = hash.getHash();
      revBefore = hash.getHeader().getRevision();
      assertThat(m.halted.get()).isNull();
    }

    // Restart on the same data dir: Ratis replays after the store's consistent index.
    try (TestMember m = TestMember.start(dir, engine, peerPort)) {
      var kv = KVGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      RangeResponse all = kv.range(RangeRequest.newBuilder().setKey(b("\0")).setRangeEnd(b("\0")).build());
      assertThat(all.getHeader().getRevision()).isEqualTo(revBefore);
      assertThat(all.getKvsList()).extracting(kvp -> kvp.getKey().toStringUtf8()).containsExactly("foo");
      var hash = MaintenanceGrpc.newBlockingStub(m.channel).hashKV(HashKVRequest.getDefaultInstance());
      assertThat((long) hash.getHash()).isEqualTo(hashBefore);
      PutResponse put = kv.put(PutRequest.newBuilder().setKey(b("after")).setValue(b("restart")).build());
      assertThat(put.getHeader().getRevision()).isEqualTo(revBefore + 1);
      assertThat(m.halted.get()).isNull();
    }
  }

  @ParameterizedTest
  @MethodSource("engines")
  void etcdValidationErrors(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort())) {
      var kv = KVGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      assertStatus(() -> kv.put(PutRequest.newBuilder().setValue(b("v")).build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided");
      assertStatus(() -> kv.put(PutRequest.newBuilder().setKey(b("k")).setIgnoreValue(true).setValue(b("v")).build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided");
      assertStatus(() -> kv.range(RangeRequest.getDefaultInstance()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided");

      List<RequestOp> ops = new ArrayList<>();
      for (int i = 0; i < 129; i++) {
        ops.add(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("k" + i))).build());
      }
      assertStatus(() -> kv.txn(TxnRequest.newBuilder().addAllSuccess(ops).build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request");
      // 128 success + 128 failure is within the limit: the maximum counts, not the sum
      TxnResponse wide = kv.txn(TxnRequest.newBuilder().addAllSuccess(ops.subList(0, 128))
          .addAllFailure(ops.subList(1, 129)).build());
      assertThat(wide.getSucceeded()).isTrue();

      RequestOp putA = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("a"))).build();
      assertStatus(() -> kv.txn(TxnRequest.newBuilder().addSuccess(putA).addSuccess(putA).build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request");
      assertStatus(() -> kv.txn(TxnRequest.newBuilder().addSuccess(RequestOp.getDefaultInstance()).build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: key not found");

      // etcd: key "k" + 1,572,840-byte value is the largest Put; one byte more is too large
      byte[] big = new byte[1_572_840];
      assertThat(kv.put(PutRequest.newBuilder().setKey(b("k")).setValue(ByteString.copyFrom(big)).build())
          .getHeader().getRevision()).isPositive();
      byte[] tooBig = new byte[1_572_841];
      assertStatus(() -> kv.put(PutRequest.newBuilder().setKey(b("k")).setValue(ByteString.copyFrom(tooBig)).build()),
          Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large");

      // the Lease service is served (LeaseJetcdTest covers it): TTL 0 is raised to etcd's 2 s minimum
      assertThat(LeaseGrpc.newBlockingStub(m.channel).leaseGrant(LeaseGrantRequest.getDefaultInstance()).getTTL())
          .isEqualTo(2);
      assertThat(m.halted.get()).isNull();
    }
  }

  private static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      if (message != null) {
        assertThat(e.getStatus().getDescription()).isEqualTo(message);
      }
    });
  }
}
