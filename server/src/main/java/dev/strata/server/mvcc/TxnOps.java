package dev.strata.server.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * Txn with etcd's semantics ({@code server/etcdserver/apply.go}: compareToPath, checkRequests,
 * applyTxn): every compare, nested ones included, is evaluated first on the pre-txn state; then the
 * taken branches' Puts (ignore_*, lease) and Ranges (revision) are checked on that state; then the
 * ops run in order, later ones seeing earlier writes.
 */
final class TxnOps {

  /**
   * Compare target LEASE and its operand: etcd's rpc.proto has them ({@code LEASE = 4},
   * {@code int64 lease = 8}) but the jetcd-grpc 0.8.5 classes do not, so they arrive as an
   * unrecognised enum value and an unknown field.
   */
  static final int TARGET_LEASE = 4;
  static final int FIELD_LEASE = 8;

  /** The branch taken by a txn and, in order, the paths of the nested txns in that branch. */
  record Path(boolean succeeded, List<Path> nested) {}

  private TxnOps() {}

  /** True if every op of both branches is a Range: such a txn never writes (etcd's isTxnReadonly). */
  static boolean isReadOnly(TxnRequest rt) {
    return rt.getSuccessList().stream().allMatch(RequestOp::hasRequestRange)
        && rt.getFailureList().stream().allMatch(RequestOp::hasRequestRange);
  }

  /** Runs a txn; {@code txn} must not have changed anything yet (compares see the pre-txn state). */
  static TxnResponse run(StoreTxn txn, TxnRequest rt, boolean writable, LongPredicate leaseExists) {
    Path path = compareToPath(txn, rt);
    if (writable) {
      checkPuts(txn, rt, path, leaseExists);
    }
    checkRanges(txn, rt, path);
    TxnResponse.Builder resp = apply(txn, rt, path, leaseExists);
    long rev = txn.changes() > 0 ? txn.rev() + 1 : txn.rev();
    return resp.setHeader(KvOps.header(rev)).build();
  }

  static Path compareToPath(StoreTxn rv, TxnRequest rt) {
    boolean ok = true;
    for (Compare c : rt.getCompareList()) {
      if (!applyCompare(rv, c)) {
        ok = false;
        break;
      }
    }
    List<Path> nested = new ArrayList<>();
    for (RequestOp op : ok ? rt.getSuccessList() : rt.getFailureList()) {
      if (op.hasRequestTxn()) {
        nested.add(compareToPath(rv, op.getRequestTxn()));
      }
    }
    return new Path(ok, nested);
  }

  /** A missing key compares as an all-zero KeyValue, except that VALUE on it is always false. */
  static boolean applyCompare(StoreTxn rv, Compare c) {
    List<KeyValue> kvs;
    try {
      kvs = rv.range(ByteKey.of(c.getKey()), KvOps.rangeEnd(c.getRangeEnd()), 0, 0, false).kvs();
    } catch (EtcdException e) {
      return false; // etcd: a failed range compares false
    }
    if (kvs.isEmpty()) {
      if (c.getTargetValue() == Compare.CompareTarget.VALUE_VALUE) {
        return false;
      }
      return compareKv(c, KeyValue.getDefaultInstance());
    }
    for (KeyValue kv : kvs) {
      if (!compareKv(c, kv)) {
        return false;
      }
    }
    return true;
  }

  /** etcd's compareKV: an operand not set in target_union (or set for another target) is 0 or empty. */
  static boolean compareKv(Compare c, KeyValue kv) {
    Compare.TargetUnionCase set = c.getTargetUnionCase();
    int result;
    switch (c.getTargetValue()) {
      case Compare.CompareTarget.VALUE_VALUE -> {
        ByteString v = set == Compare.TargetUnionCase.VALUE ? c.getValue() : ByteString.EMPTY;
        result = ByteString.unsignedLexicographicalComparator().compare(kv.getValue(), v);
      }
      case Compare.CompareTarget.CREATE_VALUE -> result = Long.compare(kv.getCreateRevision(),
          set == Compare.TargetUnionCase.CREATE_REVISION ? c.getCreateRevision() : 0);
      case Compare.CompareTarget.MOD_VALUE -> result = Long.compare(kv.getModRevision(),
          set == Compare.TargetUnionCase.MOD_REVISION ? c.getModRevision() : 0);
      case Compare.CompareTarget.VERSION_VALUE -> result = Long.compare(kv.getVersion(),
          set == Compare.TargetUnionCase.VERSION ? c.getVersion() : 0);
      case TARGET_LEASE -> result = Long.compare(kv.getLease(), leaseOperand(c));
      default -> result = 0;
    }
    return switch (c.getResultValue()) {
      case Compare.CompareResult.EQUAL_VALUE -> result == 0;
      case Compare.CompareResult.NOT_EQUAL_VALUE -> result != 0;
      case Compare.CompareResult.GREATER_VALUE -> result > 0;
      case Compare.CompareResult.LESS_VALUE -> result < 0;
      default -> true;
    };
  }

  private static long leaseOperand(Compare c) {
    UnknownFieldSet.Field f = c.getUnknownFields().getField(FIELD_LEASE);
    List<Long> varints = f.getVarintList();
    // In a oneof the last field on the wire wins; a known operand parsed after it is not
    // distinguishable here, and no client sends two.
    return varints.isEmpty() ? 0 : varints.get(varints.size() - 1);
  }

  /** etcd's checkRequests(checkPut) over the taken branches: ignore_* need the key, leases must exist. */
  private static void checkPuts(StoreTxn rv, TxnRequest rt, Path path, LongPredicate leaseExists) {
    int nested = 0;
    for (RequestOp op : path.succeeded() ? rt.getSuccessList() : rt.getFailureList()) {
      if (op.hasRequestTxn()) {
        checkPuts(rv, op.getRequestTxn(), path.nested().get(nested++), leaseExists);
      } else if (op.hasRequestPut()) {
        PutRequest p = op.getRequestPut();
        if ((p.getIgnoreValue() || p.getIgnoreLease())
            && rv.range(ByteKey.of(p.getKey()), null, 0, 0, false).kvs().isEmpty()) {
          throw EtcdError.KEY_NOT_FOUND.exception();
        }
        if (p.getLease() != 0 && !leaseExists.test(p.getLease())) {
          throw EtcdError.LEASE_NOT_FOUND.exception();
        }
      }
    }
  }

  /** etcd's checkRequests(checkRange): a Range revision must be within the pre-txn history. */
  private static void checkRanges(StoreTxn rv, TxnRequest rt, Path path) {
    int nested = 0;
    for (RequestOp op : path.succeeded() ? rt.getSuccessList() : rt.getFailureList()) {
      if (op.hasRequestTxn()) {
        checkRanges(rv, op.getRequestTxn(), path.nested().get(nested++));
      } else if (op.hasRequestRange()) {
        RangeRequest r = op.getRequestRange();
        if (r.getRevision() == 0) {
          continue;
        }
        if (r.getRevision() > rv.rev()) {
          throw EtcdError.FUTURE_REV.exception();
        }
        if (r.getRevision() < rv.firstRev()) {
          throw EtcdError.COMPACTED.exception();
        }
      }
    }
  }

  /** Runs the taken branch; the header is left to the caller (nested txns get an empty one). */
  private static TxnResponse.Builder apply(StoreTxn txn, TxnRequest rt, Path path, LongPredicate leaseExists) {
    TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(path.succeeded());
    int nested = 0;
    for (RequestOp op : path.succeeded() ? rt.getSuccessList() : rt.getFailureList()) {
      ResponseOp.Builder r = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> r.setResponseRange(KvOps.range(txn, op.getRequestRange()));
        case REQUEST_PUT -> r.setResponsePut(KvOps.put(txn, op.getRequestPut(), true, leaseExists));
        case REQUEST_DELETE_RANGE ->
            r.setResponseDeleteRange(KvOps.deleteRange(txn, op.getRequestDeleteRange()));
        case REQUEST_TXN -> r.setResponseTxn(
            apply(txn, op.getRequestTxn(), path.nested().get(nested++), leaseExists)
                .setHeader(ResponseHeader.getDefaultInstance()));
        default -> { } // an empty op: rejected by request validation; etcd answers nothing for it
      }
      resp.addResponses(r);
    }
    return resp;
  }
}
