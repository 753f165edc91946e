package dev.strata.server.it;

import static dev.strata.server.it.Protos.bs;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The comparator must flag real differences and accept only the freedoms etcd has. */
class ResponseComparatorTest {
  private static final RangeRequest BY_VERSION = RangeRequest.newBuilder().setKey(bs("a")).setRangeEnd(bs("z"))
      .setSortTarget(RangeRequest.SortTarget.VERSION).setSortOrder(RangeRequest.SortOrder.ASCEND).build();

  @Test
  void memberSpecificHeaderFieldsAreIgnoredButRevisionIsNot() {
    var op = new KvOp(0, "put", PutRequest.getDefaultInstance());
    var etcd = ok(PutResponse.newBuilder().setHeader(header(5).setClusterId(1).setMemberId(2).setRaftTerm(3)).build());
    assertThat(compare(op, etcd, ok(PutResponse.newBuilder().setHeader(header(5).setClusterId(9)).build()))).isNull();
    assertThat(compare(op, etcd, ok(PutResponse.newBuilder().setHeader(header(6)).build()))).isNotNull();
  }

  @Test
  void errorsMustMatchInCodeAndMessage() {
    var op = new KvOp(0, "put", PutRequest.getDefaultInstance());
    var etcd = new Outcome(null, Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided");
    assertThat(compare(op, etcd, new Outcome(null, Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided"))).isNull();
    assertThat(compare(op, etcd, new Outcome(null, Status.Code.UNKNOWN, "etcdserver: key is not provided"))).isNotNull();
    assertThat(compare(op, etcd, new Outcome(null, Status.Code.INVALID_ARGUMENT, "key is not provided"))).isNotNull();
    assertThat(compare(op, etcd, ok(PutResponse.getDefaultInstance()))).isNotNull();
  }

  @Test
  void tiesMayComeInAnyOrderButSortValuesMayNot() {
    var op = new KvOp(0, "range", BY_VERSION);
    var etcd = ok(range(false, kv("b", 1), kv("a", 1), kv("c", 2)));
    assertThat(compare(op, etcd, ok(range(false, kv("a", 1), kv("b", 1), kv("c", 2))))).isNull();
    assertThat(compare(op, etcd, ok(range(false, kv("c", 2), kv("a", 1), kv("b", 1))))).isNotNull();
    assertThat(compare(op, etcd, ok(range(false, kv("a", 1), kv("b", 1), kv("d", 2))))).isNotNull();
  }

  @Test
  void aLimitCuttingATieGroupAcceptsAnyMemberOfTheGroup() {
    var limited = new KvOp(0, "range", BY_VERSION.toBuilder().setLimit(2).build());
    var full = ok(range(false, kv("a", 1), kv("b", 1), kv("c", 1)));
    var etcd = ok(range(true, kv("c", 1), kv("b", 1)));
    assertThat(ResponseComparator.compare(limited, etcd, ok(range(true, kv("a", 1), kv("b", 1))), r -> full)).isNull();
    assertThat(ResponseComparator.compare(limited, etcd, ok(range(true, kv("a", 1), kv("x", 1))), r -> full)).isNotNull();
    assertThat(ResponseComparator.compare(limited, etcd, ok(range(true, kv("a", 1), kv("a", 1))), r -> full)).isNotNull();
  }

  @Test
  void rangesInsideTxnsAreComparedModuloTies() {
    var txn = TxnRequest.newBuilder().addSuccess(KvOpGenerator.wrap(BY_VERSION)).build();
    var op = new KvOp(0, "txn", txn);
    var etcd = ok(txnOf(range(false, kv("b", 1), kv("a", 1))));
    assertThat(compare(op, etcd, ok(txnOf(range(false, kv("a", 1), kv("b", 1)))))).isNull();
    assertThat(compare(op, etcd, ok(txnOf(range(false, kv("a", 1)))))).isNotNull();
  }

  private static String compare(KvOp op, Outcome etcd, Outcome candidate) {
    return ResponseComparator.compare(op, etcd, candidate, r -> {
      throw new AssertionError("no re-query expected");
    });
  }

  private static Outcome ok(com.google.protobuf.Message m) {
    return new Outcome(m, Status.Code.OK, null);
  }

  private static ResponseHeader.Builder header(long rev) {
    return ResponseHeader.newBuilder().setRevision(rev);
  }

  private static KeyValue kv(String key, long version) {
    return KeyValue.newBuilder().setKey(bs(key)).setVersion(version).setValue(bs("v")).build();
  }

  private static RangeResponse range(boolean more, KeyValue... kvs) {
    return RangeResponse.newBuilder().setHeader(header(9)).addAllKvs(List.of(kvs)).setMore(more).setCount(3).build();
  }

  private static TxnResponse txnOf(RangeResponse r) {
    return TxnResponse.newBuilder().setHeader(header(9)).setSucceeded(true)
        .addResponses(ResponseOp.newBuilder().setResponseRange(r)).build();
  }
}
