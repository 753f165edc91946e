package dev.strata.server.it;

import static dev.strata.server.it.Protos.bs;
import static dev.strata.server.it.Protos.raw;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Txn requests: compares on every target and result (also over ranges), up to 4 ops per branch,
 * nested txns two deep. "Strict" txns (85%) avoid etcd's duplicate-key rule so that most txns
 * apply; "random" ones ignore it; {@link #invalid()} probes each validation rule on purpose.
 */
final class TxnGen {
  static final int MAX_TXN_OPS = 128;
  private static final int LEASE_FIELD = 8; // Compare.lease: missing from jetcd 0.8.5's proto

  private final Random rnd;
  private final KeySpace keys;
  private final KvOpGenerator gen;

  TxnGen(Random rnd, KeySpace keys, KvOpGenerator gen) {
    this.rnd = rnd;
    this.keys = keys;
    this.gen = gen;
  }

  /** The lease arm of Compare.target_union, as raw field 8. */
  static UnknownFieldSet leaseUnion(long lease) {
    return UnknownFieldSet.newBuilder()
        .addField(LEASE_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(lease).build()).build();
  }

  KvOp next() {
    boolean strict = rnd.nextInt(100) < 85;
    TxnRequest txn = txn(0, new Writes(), strict);
    String kind = "txn/" + (strict ? "strict" : "random");
    if (hasNested(txn)) {
      kind += "/nested";
    }
    if (txn.getCompareList().stream().anyMatch(c -> !c.getRangeEnd().isEmpty())) {
      kind += "/cmp-range";
    }
    return gen.op(kind, txn);
  }

  KvOp invalid() {
    ByteString a = bs("a");
    return switch (rnd.nextInt(15)) {
      case 0 -> gen.op("bad/txn-compare-empty-key", TxnRequest.newBuilder()
          .addCompare(compare().clearKey()).addSuccess(put(a)).build());
      case 1 -> gen.op("bad/txn-put-empty-key", TxnRequest.newBuilder()
          .addSuccess(put(ByteString.EMPTY)).build());
      case 2 -> gen.op("bad/txn-delete-empty-key-in-failure", TxnRequest.newBuilder()
          .addSuccess(put(a)).addFailure(KvOpGenerator.wrap(DeleteRangeRequest.newBuilder().build())).build());
      case 3 -> gen.op("bad/txn-op-without-request", TxnRequest.newBuilder()
          .addSuccess(put(a)).addSuccess(RequestOp.getDefaultInstance()).build());
      case 4 -> gen.op("bad/txn-too-many-ops", TxnRequest.newBuilder()
          .addAllSuccess(ranges(MAX_TXN_OPS + 1)).build());
      case 5 -> gen.op("limit/txn-max-ops-both-branches", TxnRequest.newBuilder()
          .addCompare(compare()).addAllSuccess(ranges(MAX_TXN_OPS)).addAllFailure(ranges(MAX_TXN_OPS)).build());
      case 6 -> gen.op("bad/txn-too-many-compares", TxnRequest.newBuilder()
          .addAllCompare(Collections.nCopies(MAX_TXN_OPS + 1, compare().build())).build());
      case 7 -> {
        int nested = MAX_TXN_OPS - 2 + rnd.nextInt(2); // budget is 128 - parent's 2 ops: 126 ok, 127 not
        TxnRequest inner = TxnRequest.newBuilder().addAllSuccess(ranges(nested)).build();
        yield gen.op("limit/txn-nested-budget-" + nested, TxnRequest.newBuilder()
            .addSuccess(KvOpGenerator.wrap(gen.range(true))).addSuccess(KvOpGenerator.wrap(inner)).build());
      }
      case 8 -> gen.op("bad/txn-duplicate-put", TxnRequest.newBuilder()
          .addSuccess(put(a)).addSuccess(put(a)).build());
      case 9 -> gen.op("bad/txn-put-inside-delete", TxnRequest.newBuilder()
          .addFailure(delete(a, Protos.prefixEnd(a))).addFailure(put(bs("a/1"))).addCompare(compare()).build());
      case 10 -> gen.op("bad/txn-sibling-nested-same-key", TxnRequest.newBuilder()
          .addSuccess(nestedPut(a)).addSuccess(nestedPut(a)).build());
      case 11 -> gen.op("txn/nested-then-else-same-key", TxnRequest.newBuilder()
          .addSuccess(KvOpGenerator.wrap(TxnRequest.newBuilder().addCompare(compare())
              .addSuccess(put(a)).addFailure(put(a)).build())).build());
      case 12 -> gen.op("txn/quirk-put-plus-delete-from-key", TxnRequest.newBuilder()
          .addSuccess(put(bs("b"))).addSuccess(delete(a, raw(0))).build());
      case 13 -> gen.op("limit/txn-too-large", TxnRequest.newBuilder().addSuccess(KvOpGenerator.wrap(
          PutRequest.newBuilder().setKey(bs("k")).setValue(keys.bytes(KvOpGenerator.MAX_ACCEPTED_VALUE + 64)).build()))
          .build());
      default -> gen.op("bad/txn-nested-conflicts-parent", TxnRequest.newBuilder()
          .addSuccess(put(a)).addSuccess(nestedPut(a)).build());
    };
  }

  private TxnRequest txn(int depth, Writes taken, boolean strict) {
    var b = TxnRequest.newBuilder();
    int compares = rnd.nextInt(depth == 0 ? 4 : 3);
    for (int i = 0; i < compares; i++) {
      b.addCompare(compare());
    }
    Writes thenWrites = taken.copy();
    ops(b::addSuccess, depth, thenWrites, strict);
    Writes elseWrites = taken.copy();
    ops(b::addFailure, depth, elseWrites, strict);
    taken.absorb(thenWrites);
    taken.absorb(elseWrites);
    return b.build();
  }

  private void ops(Consumer<RequestOp> sink, int depth, Writes taken, boolean strict) {
    int n = rnd.nextInt(5);
    for (int i = 0; i < n; i++) {
      int r = rnd.nextInt(100);
      if (r < 35 || (r >= 88 && depth >= 2)) {
        sink.accept(KvOpGenerator.wrap(gen.range(true)));
      } else if (r < 65) {
        for (int attempt = 0; attempt < 4; attempt++) {
          ByteString key = keys.key();
          if (!strict || !taken.conflictsWithPut(key)) {
            taken.puts.add(key);
            sink.accept(KvOpGenerator.wrap(PutRequest.newBuilder().setKey(key).setValue(keys.value())
                .setPrevKv(rnd.nextBoolean()).build()));
            break;
          }
        }
      } else if (r < 88) {
        for (int attempt = 0; attempt < 4; attempt++) {
          ByteString[] iv = keys.interval(!strict);
          if (!strict || !taken.conflictsWithDelete(iv)) {
            taken.deletes.add(iv);
            sink.accept(KvOpGenerator.wrap(DeleteRangeRequest.newBuilder().setKey(iv[0]).setRangeEnd(iv[1])
                .setPrevKv(rnd.nextBoolean()).build()));
            break;
          }
        }
      } else {
        sink.accept(KvOpGenerator.wrap(txn(depth + 1, taken, strict)));
      }
    }
  }

  private Compare.Builder compare() {
    var c = Compare.newBuilder().setKey(keys.key()).setResultValue(rnd.nextInt(4))
        .setTargetValue(rnd.nextInt(5));
    if (rnd.nextInt(100) < 15) {
      ByteString[] iv = keys.interval(true);
      c.setKey(iv[0]).setRangeEnd(iv[1].isEmpty() ? Protos.prefixEnd(iv[0]) : iv[1]);
    }
    return rnd.nextInt(100) < 8 ? c : gen.compareValue(c);
  }

  private List<RequestOp> ranges(int n) {
    var ops = new ArrayList<RequestOp>(n);
    for (int i = 0; i < n; i++) {
      ops.add(KvOpGenerator.wrap(RangeRequest.newBuilder().setKey(keys.key()).build()));
    }
    return ops;
  }

  private RequestOp put(ByteString key) {
    return KvOpGenerator.wrap(PutRequest.newBuilder().setKey(key).setValue(keys.value()).build());
  }

  private static RequestOp delete(ByteString key, ByteString end) {
    return KvOpGenerator.wrap(DeleteRangeRequest.newBuilder().setKey(key).setRangeEnd(end).build());
  }

  private RequestOp nestedPut(ByteString key) {
    return KvOpGenerator.wrap(TxnRequest.newBuilder().addSuccess(put(key)).build());
  }

  private static boolean hasNested(TxnRequest t) {
    return t.getSuccessList().stream().anyMatch(RequestOp::hasRequestTxn)
        || t.getFailureList().stream().anyMatch(RequestOp::hasRequestTxn);
  }

  /** Keys put and intervals deleted so far on one path, to honour etcd's duplicate-key rule. */
  private static final class Writes {
    final List<ByteString> puts = new ArrayList<>();
    final List<ByteString[]> deletes = new ArrayList<>();

    Writes copy() {
      var w = new Writes();
      w.absorb(this);
      return w;
    }

    void absorb(Writes other) {
      puts.addAll(other.puts);
      deletes.addAll(other.deletes);
    }

    boolean conflictsWithPut(ByteString key) {
      return puts.contains(key) || deletes.stream().anyMatch(iv -> contains(iv, key));
    }

    boolean conflictsWithDelete(ByteString[] iv) {
      return puts.stream().anyMatch(key -> contains(iv, key));
    }

    private static boolean contains(ByteString[] iv, ByteString key) {
      if (iv[1].isEmpty()) {
        return iv[0].equals(key);
      }
      boolean fromKey = iv[1].equals(raw(0));
      return Protos.UNSIGNED.compare(key, iv[0]) >= 0 && (fromKey || Protos.UNSIGNED.compare(key, iv[1]) < 0);
    }
  }
}
