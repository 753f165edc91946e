package dev.strata.server.mvcc;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * Range, Put and DeleteRange requests over a {@link StoreTxn}, with etcd's request-level semantics
 * ({@code server/etcdserver/apply.go}): limit push-down, min/max filters, sorting, keys_only,
 * prev_kv, ignore_value/ignore_lease. Response headers carry only the revision.
 */
final class KvOps {

  private static final int ORDER_NONE = RangeRequest.SortOrder.NONE_VALUE;
  private static final int ORDER_ASCEND = RangeRequest.SortOrder.ASCEND_VALUE;
  private static final int ORDER_DESCEND = RangeRequest.SortOrder.DESCEND_VALUE;
  private static final int TARGET_KEY = RangeRequest.SortTarget.KEY_VALUE;

  private KvOps() {}

  /**
   * The end of a request's range for the store: null (single key) if {@code rangeEnd} is empty,
   * an empty key (no upper bound) if it is {@code "\0"} (etcd's {@code mkGteRange}).
   */
  static ByteKey rangeEnd(ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      return null;
    }
    if (rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0) {
      return ByteKey.wrap(new byte[0]);
    }
    return ByteKey.of(rangeEnd);
  }

  static RangeResponse range(StoreTxn txn, RangeRequest r) {
    int order = r.getSortOrderValue();
    int target = r.getSortTargetValue();
    if (target != TARGET_KEY && order == ORDER_NONE) {
      // The store returns keys ascending, so only a non-key target needs sorting by default.
      order = ORDER_ASCEND;
    }
    Comparator<KeyValue> sorter = sorter(target);
    if ((order == ORDER_ASCEND || order == ORDER_DESCEND) && sorter == null) {
      // etcd 3.4/3.5 dereference a nil sorter here and crash; 3.6 rejects the request.
      throw EtcdError.INVALID_SORT_OPTION.exception();
    }
    boolean filtered = r.getMinModRevision() != 0 || r.getMaxModRevision() != 0
        || r.getMinCreateRevision() != 0 || r.getMaxCreateRevision() != 0;
    long limit = r.getLimit();
    if (r.getSortOrderValue() != ORDER_NONE || filtered) {
      limit = 0; // fetch everything, then filter, sort and truncate
    }
    if (limit > 0) {
      limit++; // one more than asked tells whether there is more
    }
    StoreTxn.RangeResult rr = txn.range(ByteKey.of(r.getKey()), rangeEnd(r.getRangeEnd()),
        r.getRevision(), (int) Math.min(limit, Integer.MAX_VALUE), r.getCountOnly());

    List<KeyValue> kvs = new ArrayList<>(rr.kvs());
    if (r.getMaxModRevision() != 0) {
      kvs.removeIf(kv -> kv.getModRevision() > r.getMaxModRevision());
    }
    if (r.getMinModRevision() != 0) {
      kvs.removeIf(kv -> kv.getModRevision() < r.getMinModRevision());
    }
    if (r.getMaxCreateRevision() != 0) {
      kvs.removeIf(kv -> kv.getCreateRevision() > r.getMaxCreateRevision());
    }
    if (r.getMinCreateRevision() != 0) {
      kvs.removeIf(kv -> kv.getCreateRevision() < r.getMinCreateRevision());
    }
    if (order == ORDER_ASCEND) {
      kvs.sort(sorter);
    } else if (order == ORDER_DESCEND) {
      kvs.sort(sorter.reversed());
    } // any other order value leaves the list unsorted, as etcd does

    RangeResponse.Builder resp = RangeResponse.newBuilder()
        .setHeader(header(rr.rev()))
        .setCount(rr.count());
    if (r.getLimit() > 0 && kvs.size() > r.getLimit()) {
      kvs = kvs.subList(0, (int) r.getLimit());
      resp.setMore(true);
    }
    for (KeyValue kv : kvs) {
      resp.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
    }
    return resp.build();
  }

  private static Comparator<KeyValue> sorter(int target) {
    return switch (target) {
      case RangeRequest.SortTarget.KEY_VALUE ->
          (a, b) -> ByteString.unsignedLexicographicalComparator().compare(a.getKey(), b.getKey());
      case RangeRequest.SortTarget.VERSION_VALUE -> Comparator.comparingLong(KeyValue::getVersion);
      case RangeRequest.SortTarget.CREATE_VALUE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case RangeRequest.SortTarget.MOD_VALUE -> Comparator.comparingLong(KeyValue::getModRevision);
      case RangeRequest.SortTarget.VALUE_VALUE ->
          (a, b) -> ByteString.unsignedLexicographicalComparator().compare(a.getValue(), b.getValue());
      default -> null;
    };
  }

  /**
   * A Put. Outside a txn ({@code inTxn == false}) the lease is checked here, before the ignore_*
   * flags; inside a txn both were checked up front on the pre-txn state ({@link TxnOps}).
   */
  static PutResponse put(StoreTxn txn, PutRequest p, boolean inTxn, LongPredicate leaseExists) {
    ByteString value = p.getValue();
    long lease = p.getLease();
    if (!inTxn && lease != 0 && !leaseExists.test(lease)) {
      throw EtcdError.LEASE_NOT_FOUND.exception();
    }
    KeyValue prev = null;
    if (p.getIgnoreValue() || p.getIgnoreLease() || p.getPrevKv()) {
      List<KeyValue> kvs = txn.range(ByteKey.of(p.getKey()), null, 0, 0, false).kvs();
      prev = kvs.isEmpty() ? null : kvs.get(0);
    }
    if ((p.getIgnoreValue() || p.getIgnoreLease()) && prev == null) {
      throw EtcdError.KEY_NOT_FOUND.exception();
    }
    if (p.getIgnoreValue()) {
      value = prev.getValue();
    }
    if (p.getIgnoreLease()) {
      lease = prev.getLease();
    }
    PutResponse.Builder resp = PutResponse.newBuilder();
    if (p.getPrevKv() && prev != null) {
      resp.setPrevKv(prev);
    }
    long rev = txn.put(p.getKey(), value, lease);
    return resp.setHeader(header(rev)).build();
  }

  static DeleteRangeResponse deleteRange(StoreTxn txn, DeleteRangeRequest d) {
    ByteKey key = ByteKey.of(d.getKey());
    ByteKey end = rangeEnd(d.getRangeEnd());
    DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder();
    if (d.getPrevKv()) {
      resp.addAllPrevKvs(txn.range(key, end, 0, 0, false).kvs());
    }
    long[] deletedAndRev = txn.deleteRange(key, end);
    return resp.setDeleted(deletedAndRev[0]).setHeader(header(deletedAndRev[1])).build();
  }

  static ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder().setRevision(revision).build();
  }
}
