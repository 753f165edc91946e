package dev.strata.server.mvcc;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.List;

/** Terse builders for etcd requests in tests. */
final class Req {

  private Req() {}

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build();
  }

  static RangeRequest get(String key) {
    return RangeRequest.newBuilder().setKey(bs(key)).build();
  }

  static RangeRequest range(String key, String end) {
    return RangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end)).build();
  }

  /** Every key: key "\0", range_end "\0". */
  static RangeRequest all() {
    return range("\0", "\0");
  }

  static DeleteRangeRequest del(String key) {
    return DeleteRangeRequest.newBuilder().setKey(bs(key)).build();
  }

  static DeleteRangeRequest del(String key, String end) {
    return DeleteRangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end)).build();
  }

  static RequestOp op(PutRequest r) {
    return RequestOp.newBuilder().setRequestPut(r).build();
  }

  static RequestOp op(RangeRequest r) {
    return RequestOp.newBuilder().setRequestRange(r).build();
  }

  static RequestOp op(DeleteRangeRequest r) {
    return RequestOp.newBuilder().setRequestDeleteRange(r).build();
  }

  static RequestOp op(TxnRequest r) {
    return RequestOp.newBuilder().setRequestTxn(r).build();
  }

  static TxnRequest txn(List<Compare> cmps, List<RequestOp> success, List<RequestOp> failure) {
    return TxnRequest.newBuilder().addAllCompare(cmps).addAllSuccess(success).addAllFailure(failure).build();
  }

  static Compare version(String key, Compare.CompareResult result, long v) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.CompareTarget.VERSION)
        .setResult(result).setVersion(v).build();
  }

  static Compare create(String key, Compare.CompareResult result, long v) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.CompareTarget.CREATE)
        .setResult(result).setCreateRevision(v).build();
  }

  static Compare mod(String key, Compare.CompareResult result, long v) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.CompareTarget.MOD)
        .setResult(result).setModRevision(v).build();
  }

  static Compare value(String key, Compare.CompareResult result, String v) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.CompareTarget.VALUE)
        .setResult(result).setValue(bs(v)).build();
  }

  /** The etcd error {@code r} throws; fails the test if it throws none. */
  static EtcdError errorOf(Runnable r) {
    try {
      r.run();
    } catch (EtcdException e) {
      return e.error();
    }
    throw new AssertionError("expected an EtcdException");
  }

  static String key(KeyValue kv) {
    return kv.getKey().toStringUtf8();
  }
}
