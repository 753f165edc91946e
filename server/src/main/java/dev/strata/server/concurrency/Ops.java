package dev.strata.server.concurrency;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;

/** The clientv3 operations and options the recipes use, as etcd request protos. */
final class Ops {

  private Ops() {}

  /**
   * The key of a session in a lock or election: {@code prefix + fmt.Sprintf("%x", lease)}, i.e.
   * lowercase unpadded hex with a minus sign for negative ids (Go formats the signed value).
   */
  static ByteString sessionKey(ByteString prefix, long lease) {
    String hex = lease < 0 ? "-" + Long.toHexString(-lease) : Long.toHexString(lease);
    if (lease == Long.MIN_VALUE) {
      hex = "-8000000000000000";
    }
    return prefix.concat(ByteString.copyFromUtf8(hex));
  }

  /** clientv3 {@code GetPrefixRangeEnd}: last byte below 0xff incremented; all-0xff → "\0" (every key). */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if ((end[i] & 0xff) < 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }

  /** {@code Get(pfx, WithFirstCreate())}: the oldest-created key under the prefix. */
  static RangeRequest firstCreate(ByteString prefix) {
    return byCreate(prefix, RangeRequest.SortOrder.ASCEND).build();
  }

  /** {@code Get(pfx, WithLastCreate(), WithMaxCreateRev(max))}: the newest key created at or before max. */
  static RangeRequest lastCreateUpTo(ByteString prefix, long maxCreateRev) {
    return byCreate(prefix, RangeRequest.SortOrder.DESCEND).setMaxCreateRevision(maxCreateRev).build();
  }

  private static RangeRequest.Builder byCreate(ByteString prefix, RangeRequest.SortOrder order) {
    return RangeRequest.newBuilder().setKey(prefix).setRangeEnd(prefixEnd(prefix))
        .setSortTarget(RangeRequest.SortTarget.CREATE).setSortOrder(order).setLimit(1);
  }

  static RangeRequest get(ByteString key) {
    return RangeRequest.newBuilder().setKey(key).build();
  }

  static RequestOp getOp(RangeRequest r) {
    return RequestOp.newBuilder().setRequestRange(r).build();
  }

  static RequestOp putOp(ByteString key, ByteString value, long lease) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(value)
        .setLease(lease)).build();
  }

  static RequestOp deleteOp(ByteString key) {
    return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)).build();
  }

  /** {@code Compare(CreateRevision(key), "=", rev)}. */
  static Compare createRevisionIs(ByteString key, long rev) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.EQUAL).setCreateRevision(rev).build();
  }
}
