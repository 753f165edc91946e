package dev.strata.server.it;

import static dev.strata.server.it.Protos.bs;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Seeded generator of etcd KV requests. It follows the reference server's answers
 * ({@link #observe}) to aim revisions at the past, the compaction point and the future, and compares
 * at values keys really have. Distribution (per op): put 27%, range 28%, delete 10%, txn 22%,
 * compact 3%, HashKV 1%, invalid or limit-probing requests 9%.
 */
final class KvOpGenerator {
  /** Key "k" plus this many value bytes is about the largest Put etcd 3.4 accepts (1.5 MiB limit). */
  static final int MAX_ACCEPTED_VALUE = 1_572_840;

  private final Random rnd;
  private final KeySpace keys;
  private final TxnGen txns;
  private final Map<ByteString, KeyValue> seen = new HashMap<>();
  private final ArrayDeque<KvOp> pending = new ArrayDeque<>();
  private long revision = 1;
  private long compactRevision = -1;
  private int index;

  KvOpGenerator(long seed) {
    this.rnd = new Random(seed);
    this.keys = new KeySpace(rnd);
    this.txns = new TxnGen(rnd, keys, this);
  }

  KvOp next() {
    if (!pending.isEmpty()) {
      return pending.poll();
    }
    double r = rnd.nextDouble();
    if (r < 0.27) {
      return put();
    } else if (r < 0.55) {
      RangeRequest range = range(false);
      return op("range/" + rangeShape(range), range);
    } else if (r < 0.65) {
      return delete();
    } else if (r < 0.87) {
      return txns.next();
    } else if (r < 0.90) {
      return compact();
    } else if (r < 0.91) {
      return op("hashkv", HashKVRequest.newBuilder().setRevision(readRevision()).build());
    }
    return invalid();
  }

  /** Learns the current revision, compaction point and key contents from the reference's answers. */
  void observe(KvOp op, Outcome reference) {
    if (!reference.ok()) {
      return;
    }
    Message response = reference.response();
    var headerField = response.getDescriptorForType().findFieldByName("header");
    if (headerField != null) {
      long rev = ((ResponseHeader) response.getField(headerField)).getRevision();
      revision = Math.max(revision, rev);
    }
    if (op.request() instanceof CompactionRequest c) {
      compactRevision = c.getRevision();
    } else if (response instanceof RangeResponse range) {
      learn(range);
    } else if (response instanceof TxnResponse txn) {
      learn(txn);
    }
  }

  long revision() {
    return revision;
  }

  KvOp op(String kind, Message request) {
    return new KvOp(index++, kind, request);
  }

  private KvOp put() {
    var b = PutRequest.newBuilder().setKey(keys.key()).setValue(keys.value()).setPrevKv(rnd.nextInt(10) < 4);
    String kind = "put";
    if (rnd.nextInt(100) < 4) {
      b.setIgnoreValue(true).clearValue();
      kind = "put/ignore_value";
    }
    if (rnd.nextInt(100) < 4) {
      b.setIgnoreLease(true);
      kind += "/ignore_lease";
    }
    return op(kind, b.build());
  }

  private KvOp delete() {
    ByteString[] iv = keys.interval(true);
    var req = DeleteRangeRequest.newBuilder().setKey(iv[0]).setRangeEnd(iv[1])
        .setPrevKv(rnd.nextInt(10) < 4).build();
    return op("delete/" + shape(iv[0], iv[1]), req);
  }

  private KvOp compact() {
    int r = rnd.nextInt(100);
    long target;
    String kind;
    if (r < 60 && revision > compactRevision) {
      target = compactRevision + 1 + (long) (rnd.nextDouble() * (revision - compactRevision));
      kind = "compact/valid";
    } else if (r < 75) {
      target = Math.max(0, compactRevision);
      kind = "compact/at-previous";
    } else if (r < 82) {
      target = Math.max(0, compactRevision - 1 - rnd.nextInt(3));
      kind = "compact/below-previous";
    } else {
      target = revision + 1 + rnd.nextInt(5);
      kind = "compact/future";
    }
    return op(kind, CompactionRequest.newBuilder().setRevision(target).setPhysical(rnd.nextBoolean()).build());
  }

  /** A range; inside txns a non-key sort has no limit, because tie order then decides membership. */
  RangeRequest range(boolean inTxn) {
    ByteString[] iv = keys.interval(true);
    var b = RangeRequest.newBuilder().setKey(iv[0]).setRangeEnd(iv[1]);
    int r = rnd.nextInt(100);
    if (r < 25) {
      b.setLimit(1 + rnd.nextInt(4));
    } else if (r < 28) {
      b.setLimit(-1 - rnd.nextInt(2));
    }
    if (rnd.nextInt(100) < 35) {
      b.setRevision(readRevision());
    }
    if (rnd.nextInt(100) < 30) {
      b.setSortOrderValue(rnd.nextInt(3)).setSortTargetValue(rnd.nextInt(5));
    } else if (rnd.nextInt(200) == 0) {
      b.setSortOrderValue(3 + rnd.nextInt(3)); // unknown order with KEY: 3.4 leaves it unsorted
    }
    if (rnd.nextInt(100) < 10) {
      b.setKeysOnly(true);
    }
    if (rnd.nextInt(100) < 8) {
      b.setCountOnly(true);
    }
    if (rnd.nextInt(100) < 15) {
      long near = Math.max(1, revision - rnd.nextInt(40));
      switch (rnd.nextInt(4)) {
        case 0 -> b.setMinModRevision(near);
        case 1 -> b.setMaxModRevision(near);
        case 2 -> b.setMinCreateRevision(near);
        default -> b.setMaxCreateRevision(near);
      }
    }
    if (rnd.nextInt(100) < 15) {
      b.setSerializable(true);
    }
    if (inTxn && b.getSortTarget() != RangeRequest.SortTarget.KEY) {
      b.clearLimit();
    }
    return b.build();
  }

  /** Revision 0 (current), negative, current, past, the compaction point, compacted, or future. */
  long readRevision() {
    return switch (rnd.nextInt(12)) {
      case 0, 1, 2 -> 0;
      case 3 -> -1;
      case 4 -> revision;
      case 5, 6 -> Math.max(1, compactRevision) + (long) (rnd.nextDouble() * (revision - Math.max(1, compactRevision)));
      case 7 -> Math.max(1, compactRevision);
      case 8 -> Math.max(1, compactRevision - 1);
      case 9 -> revision + 1;
      case 10 -> revision + 2 + rnd.nextInt(100);
      default -> Math.max(1, revision - rnd.nextInt(5));
    };
  }

  /** A compare target value that sometimes matches what the key really holds. */
  Compare.Builder compareValue(Compare.Builder c) {
    KeyValue known = seen.get(c.getKey());
    boolean useKnown = known != null && rnd.nextInt(100) < 60;
    switch (c.getTargetValue()) {
      case 0 -> c.setVersion(useKnown ? known.getVersion() + rnd.nextInt(2) : rnd.nextInt(4));
      case 1 -> c.setCreateRevision(useKnown ? known.getCreateRevision() : Math.max(0, revision - rnd.nextInt(10)));
      case 2 -> c.setModRevision(useKnown ? known.getModRevision() : Math.max(0, revision - rnd.nextInt(10)));
      case 3 -> c.setValue(useKnown ? known.getValue() : keys.value());
      default -> c.setUnknownFields(TxnGen.leaseUnion(rnd.nextInt(10) == 0 ? 1 : 0));
    }
    return c;
  }

  private KvOp invalid() {
    ByteString k = bs("k");
    return switch (rnd.nextInt(16)) {
      case 0 -> op("bad/range-empty-key", RangeRequest.newBuilder().setRangeEnd(keys.key()).build());
      case 1 -> op("bad/put-empty-key", PutRequest.newBuilder().setValue(keys.value()).build());
      case 2 -> op("bad/put-empty-key-ignore-value",
          PutRequest.newBuilder().setIgnoreValue(true).setValue(bs("v")).build());
      case 3 -> op("bad/delete-empty-key", DeleteRangeRequest.newBuilder().setRangeEnd(keys.key()).build());
      case 4 -> op("bad/put-ignore-value-with-value",
          PutRequest.newBuilder().setKey(keys.key()).setIgnoreValue(true).setValue(bs("v")).build());
      case 5 -> op("bad/put-ignore-lease-with-lease",
          PutRequest.newBuilder().setKey(keys.key()).setIgnoreLease(true).setLease(1).build());
      case 6 -> op("bad/put-ignore-value-and-lease-both-set", PutRequest.newBuilder().setKey(keys.key())
          .setIgnoreValue(true).setValue(bs("v")).setIgnoreLease(true).setLease(7).build());
      case 7 -> op("bad/put-ignore-value-absent-key",
          PutRequest.newBuilder().setKey(bs("absent/" + rnd.nextInt(5))).setIgnoreValue(true).build());
      case 8 -> op("bad/put-ignore-lease-absent-key",
          PutRequest.newBuilder().setKey(bs("absent/" + rnd.nextInt(5))).setIgnoreLease(true).build());
      case 9, 10, 11 -> txns.invalid();
      case 12 -> op("limit/put-too-large",
          PutRequest.newBuilder().setKey(k).setValue(keys.bytes(MAX_ACCEPTED_VALUE + 64)).build());
      case 13 -> {
        // Stay a few bytes under the limit: the raft request ID's varint length varies per member.
        pending.add(op("limit/delete-largest", DeleteRangeRequest.newBuilder().setKey(k).build()));
        yield op("limit/put-largest",
            PutRequest.newBuilder().setKey(k).setValue(keys.bytes(MAX_ACCEPTED_VALUE - 16)).build());
      }
      case 14 -> op("limit/put-over-grpc-max",
          PutRequest.newBuilder().setKey(k).setValue(keys.bytes(2_100_000)).build());
      default -> op("hashkv/compaction-point", HashKVRequest.newBuilder()
          .setRevision(Math.max(1, compactRevision)).build());
    };
  }

  private void learn(RangeResponse range) {
    for (KeyValue kv : range.getKvsList()) {
      KeyValue before = seen.get(kv.getKey());
      if (before == null || before.getModRevision() <= kv.getModRevision()) {
        seen.put(kv.getKey(), kv);
      }
    }
  }

  private void learn(TxnResponse txn) {
    for (ResponseOp r : txn.getResponsesList()) {
      if (r.hasResponseRange()) {
        learn(r.getResponseRange());
      } else if (r.hasResponseTxn()) {
        learn(r.getResponseTxn());
      }
    }
  }

  static String rangeShape(RangeRequest r) {
    String s = shape(r.getKey(), r.getRangeEnd());
    if (r.getSortTarget() != RangeRequest.SortTarget.KEY) {
      s += "/sort-" + r.getSortTarget().name().toLowerCase();
    } else if (r.getSortOrderValue() != 0) {
      s += "/sort-key";
    }
    if (r.getLimit() > 0) {
      s += "/limit";
    }
    if (r.getRevision() != 0) {
      s += "/rev";
    }
    if (r.getCountOnly()) {
      s += "/count_only";
    } else if (r.getKeysOnly()) {
      s += "/keys_only";
    }
    if (r.getMinModRevision() + r.getMaxModRevision() + r.getMinCreateRevision() + r.getMaxCreateRevision() != 0) {
      s += "/filter";
    }
    return s;
  }

  static String shape(ByteString key, ByteString end) {
    if (end.isEmpty()) {
      return "key";
    } else if (end.equals(Protos.raw(0))) {
      return key.equals(Protos.raw(0)) ? "all" : "from-key";
    } else if (end.equals(Protos.prefixEnd(key))) {
      return "prefix";
    }
    return Protos.UNSIGNED.compare(end, key) <= 0 ? "end-before-key" : "interval";
  }

  static RequestOp wrap(Message m) {
    var b = RequestOp.newBuilder();
    if (m instanceof RangeRequest r) {
      b.setRequestRange(r);
    } else if (m instanceof PutRequest p) {
      b.setRequestPut(p);
    } else if (m instanceof DeleteRangeRequest d) {
      b.setRequestDeleteRange(d);
    } else if (m instanceof TxnRequest t) {
      b.setRequestTxn(t);
    }
    return b.build();
  }
}
