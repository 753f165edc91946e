package dev.strata.server.etcdserver;

import com.google.protobuf.CodedOutputStream;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.List;

/**
 * etcd's request checks, in etcd's order and with its messages ({@code api/v3rpc/key.go}, reference
 * "Validation pipeline"). Each method throws the first failing rule's
 * {@link dev.strata.server.EtcdException}.
 */
final class Admission {

  /**
   * etcd marshals an {@code InternalRaftRequest}: a header (field 100: 2-byte tag, 1-byte length, an
   * 8-byte-plus id varint = 13 bytes) plus a 1-byte tag and a length varint around the request. The
   * size limit applies to that, so {@code put k <1,572,840-byte value>} is the largest Put accepted.
   */
  private static final int RAFT_HEADER_BYTES = 13;

  private final int maxRequestBytes;
  private final int maxTxnOps;

  Admission(int maxRequestBytes, int maxTxnOps) {
    this.maxRequestBytes = maxRequestBytes;
    this.maxTxnOps = maxTxnOps;
  }

  static void checkRange(RangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw EtcdError.KEY_NOT_PROVIDED.exception();
    }
  }

  static void checkPut(PutRequest r) {
    if (r.getKey().isEmpty()) {
      throw EtcdError.KEY_NOT_PROVIDED.exception();
    }
    if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
      throw EtcdError.VALUE_PROVIDED.exception();
    }
    if (r.getIgnoreLease() && r.getLease() != 0) {
      throw EtcdError.LEASE_PROVIDED.exception();
    }
  }

  static void checkDelete(DeleteRangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw EtcdError.KEY_NOT_PROVIDED.exception();
    }
  }

  /** {@code checkTxnRequest} then {@code checkIntervals} (the latter only after, to avoid blowup). */
  void checkTxn(TxnRequest r) {
    checkTxn(r, maxTxnOps);
    TxnIntervals.check(r.getSuccessList(), r.getFailureList());
  }

  private static void checkTxn(TxnRequest r, int budget) {
    // the maximum, not the sum: 128 success + 128 failure ops pass with --max-txn-ops=128
    int opc = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
    if (opc > budget) {
      throw EtcdError.TOO_MANY_OPS.exception();
    }
    for (var c : r.getCompareList()) {
      if (c.getKey().isEmpty()) {
        throw EtcdError.KEY_NOT_PROVIDED.exception();
      }
    }
    checkOps(r.getSuccessList(), budget - opc);
    checkOps(r.getFailureList(), budget - opc);
  }

  private static void checkOps(List<RequestOp> ops, int nestedBudget) {
    for (RequestOp op : ops) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> checkRange(op.getRequestRange());
        case REQUEST_PUT -> checkPut(op.getRequestPut());
        case REQUEST_DELETE_RANGE -> checkDelete(op.getRequestDeleteRange());
        case REQUEST_TXN -> checkTxn(op.getRequestTxn(), nestedBudget);
        case REQUEST_NOT_SET -> throw EtcdError.KEY_NOT_FOUND.exception();
      }
    }
  }

  /** The marshalled-Raft-request size rule; read-only requests skip it. */
  void checkSize(int requestBytes) {
    long internal = RAFT_HEADER_BYTES + 1L + CodedOutputStream.computeUInt32SizeNoTag(requestBytes) + requestBytes;
    if (internal > maxRequestBytes) {
      throw EtcdError.REQUEST_TOO_LARGE.exception();
    }
  }

  /** etcd's {@code isTxnReadonly}: every top-level op is a Range (a nested txn counts as a write). */
  static boolean isReadOnly(TxnRequest r) {
    return r.getSuccessList().stream().allMatch(RequestOp::hasRequestRange)
        && r.getFailureList().stream().allMatch(RequestOp::hasRequestRange);
  }

  /** etcd's {@code isTxnSerializable}: read-only and every Range serializable. */
  static boolean isSerializable(TxnRequest r) {
    return r.getSuccessList().stream().allMatch(op -> op.getRequestRange().getSerializable())
        && r.getFailureList().stream().allMatch(op -> op.getRequestRange().getSerializable());
  }

  /** etcd's quota cost of a Put ({@code server/etcdserver/quota.go}). */
  static long putCost(PutRequest r) {
    return 256L + r.getKey().size() + r.getValue().size();
  }

  /** max(success, failure) of Put costs, recursing into nested txns. */
  static long txnCost(TxnRequest r) {
    return Math.max(opsCost(r.getSuccessList()), opsCost(r.getFailureList()));
  }

  private static long opsCost(List<RequestOp> ops) {
    long sum = 0;
    for (RequestOp op : ops) {
      if (op.hasRequestPut()) {
        sum += putCost(op.getRequestPut());
      } else if (op.hasRequestTxn()) {
        sum += txnCost(op.getRequestTxn());
      }
    }
    return sum;
  }
}
