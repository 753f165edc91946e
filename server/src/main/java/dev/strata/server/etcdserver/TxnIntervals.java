package dev.strata.server.etcdserver;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.RequestOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * etcd's duplicate-key rule for txns ({@code checkIntervals} in {@code api/v3rpc/key.go}): no two Puts
 * of one key, and no Put inside a DeleteRange, at the same or an enclosing level; a nested txn's then and
 * else branches may write the same key. Intervals follow etcd's "affine" string intervals
 * ({@code pkg/adt}): an empty end means +infinity, so {@code range_end="\x00"} is an empty interval
 * (the quirk that lets {@code put b} pass with {@code delete [a, \x00)}).
 */
final class TxnIntervals {

  /** [begin, end); end == null is +infinity. */
  private record Interval(byte[] begin, byte[] end) {
    boolean contains(byte[] key) {
      return Arrays.compareUnsigned(begin, key) <= 0 && (end == null || Arrays.compareUnsigned(key, end) < 0);
    }

    /** Overlaps ["\x00", +inf): what etcd keeps when it unions a child's deletes into the parent's. */
    boolean reachesAboveZero() {
      return end == null || Arrays.compareUnsigned(ZERO, end) < 0;
    }
  }

  private static final byte[] ZERO = {0};

  private record Result(Set<ByteString> puts, List<Interval> dels) {}

  private TxnIntervals() {}

  /** @throws dev.strata.server.EtcdException DUPLICATE_KEY */
  static void check(List<RequestOp> success, List<RequestOp> failure) {
    check(success);
    check(failure);
  }

  private static Result check(List<RequestOp> reqs) {
    List<Interval> dels = new ArrayList<>();
    for (RequestOp op : reqs) {
      if (op.hasRequestDeleteRange()) {
        dels.add(interval(op.getRequestDeleteRange()));
      }
    }
    Set<ByteString> puts = new HashSet<>();
    for (RequestOp op : reqs) {
      if (!op.hasRequestTxn()) {
        continue;
      }
      Result then = check(op.getRequestTxn().getSuccessList());
      Result otherwise = check(op.getRequestTxn().getFailureList());
      for (ByteString k : then.puts()) {
        if (puts.contains(k) || intersects(dels, k)) {
          throw EtcdError.DUPLICATE_KEY.exception();
        }
        puts.add(k);
      }
      for (ByteString k : otherwise.puts()) {
        // then and else are mutually exclusive: a key both write is fine
        if ((puts.contains(k) && !then.puts().contains(k)) || intersects(dels, k)) {
          throw EtcdError.DUPLICATE_KEY.exception();
        }
        puts.add(k);
      }
      then.dels().stream().filter(Interval::reachesAboveZero).forEach(dels::add);
      otherwise.dels().stream().filter(Interval::reachesAboveZero).forEach(dels::add);
    }
    for (RequestOp op : reqs) {
      if (!op.hasRequestPut()) {
        continue;
      }
      ByteString k = op.getRequestPut().getKey();
      if (puts.contains(k) || intersects(dels, k)) {
        throw EtcdError.DUPLICATE_KEY.exception();
      }
      puts.add(k);
    }
    return new Result(puts, dels);
  }

  private static Interval interval(DeleteRangeRequest d) {
    byte[] key = d.getKey().toByteArray();
    if (d.getRangeEnd().isEmpty()) {
      byte[] end = Arrays.copyOf(key, key.length + 1); // the point [key, key+"\x00")
      return new Interval(key, end);
    }
    return new Interval(key, d.getRangeEnd().toByteArray());
  }

  private static boolean intersects(List<Interval> dels, ByteString key) {
    if (dels.isEmpty()) {
      return false;
    }
    byte[] k = key.toByteArray();
    for (Interval iv : dels) {
      if (iv.contains(k)) {
        return true;
      }
    }
    return false;
  }
}
