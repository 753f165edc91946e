package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.Channel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A seeded random KV history over a small key space ({@code k/00 .. k/15}), applied identically to
 * several servers: puts, single and range deletes, txns with compares, and "fences" (one txn putting
 * every key, then a delete of them all) that every watch in the key space sees, so a test knows when
 * a watcher has been given everything so far without sleeping.
 */
final class WatchHistory {

  static final int KEYS = 16;
  static final String PREFIX = "k/";
  static final String PREFIX_END = "k0";

  private final Random rnd;
  private final List<KVGrpc.KVBlockingStub> servers = new ArrayList<>();
  private int values;

  WatchHistory(long seed, List<Channel> channels) {
    this.rnd = new Random(seed);
    channels.forEach(c -> servers.add(KVGrpc.newBlockingStub(c)));
  }

  /** {@code -Dstrata.seed=N} replays a run; otherwise a fresh seed, printed. */
  static long seed(String test) {
    String configured = System.getProperty("strata.seed");
    long seed = configured == null || configured.isBlank()
        ? new SecureRandom().nextLong() : Long.parseLong(configured.trim());
    System.out.printf("[%s] seed=%d (replay: -Dstrata.seed=%d)%n", test, seed, seed);
    return seed;
  }

  Random random() {
    return rnd;
  }

  static String key(int i) {
    return String.format("%s%02d", PREFIX, i);
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Applies {@code n} random operations to every server; returns the revision after them. */
  long randomOps(int n) {
    long rev = 0;
    for (int i = 0; i < n; i++) {
      int dice = rnd.nextInt(100);
      if (dice < 45) {
        rev = put(key(rnd.nextInt(KEYS)), "v" + values++);
      } else if (dice < 60) {
        rev = delete(key(rnd.nextInt(KEYS)), null);
      } else if (dice < 70) {
        int from = rnd.nextInt(KEYS);
        rev = delete(key(from), key(Math.min(KEYS, from + 1 + rnd.nextInt(4))));
      } else {
        TxnRequest t = randomTxn();
        rev = all(t, s -> s.txn(t).getHeader().getRevision());
      }
    }
    return rev;
  }

  private TxnRequest randomTxn() {
    var cmp = Compare.newBuilder().setKey(b(key(rnd.nextInt(KEYS))))
        .setTarget(Compare.CompareTarget.VERSION)
        .setResult(rnd.nextBoolean() ? Compare.CompareResult.GREATER : Compare.CompareResult.EQUAL)
        .setVersion(rnd.nextInt(3));
    TxnRequest.Builder t = TxnRequest.newBuilder().addCompare(cmp);
    Set<Integer> used = new HashSet<>();
    int ops = 1 + rnd.nextInt(3);
    for (int i = 0; i < ops; i++) {
      int k = rnd.nextInt(KEYS);
      if (used.add(k)) {   // etcd refuses a txn that writes one key twice
        t.addSuccess(rnd.nextInt(4) == 0
            ? RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(b(key(k))))
            : RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b(key(k))).setValue(b("t" + values++))));
      }
    }
    t.addFailure(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
        .setKey(b(key(rnd.nextInt(KEYS)))).setValue(b("f" + values++))));
    return t.build();
  }

  long put(String key, String value) {
    PutRequest p = PutRequest.newBuilder().setKey(b(key)).setValue(b(value)).build();
    return all(p, s -> s.put(p).getHeader().getRevision());
  }

  long delete(String key, String rangeEnd) {
    var d = DeleteRangeRequest.newBuilder().setKey(b(key));
    if (rangeEnd != null) {
      d.setRangeEnd(b(rangeEnd));
    }
    return all(d.build(), s -> s.deleteRange(d.build()).getHeader().getRevision());
  }

  /** Puts every key in one txn, then deletes them all: returns {put revision, delete revision}. */
  long[] fence() {
    TxnRequest.Builder t = TxnRequest.newBuilder();
    for (int k = 0; k < KEYS; k++) {
      t.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b(key(k)))
          .setValue(b("fence" + values))));
    }
    values++;
    long put = all(t.build(), s -> s.txn(t.build()).getHeader().getRevision());
    long del = delete(PREFIX, PREFIX_END);
    return new long[] {put, del};
  }

  void compact(long rev) {
    all("compact " + rev, s -> {
      s.compact(CompactionRequest.newBuilder().setRevision(rev).build());
      return rev;
    });
  }

  private interface Call {
    long on(KVGrpc.KVBlockingStub s);
  }

  /** Runs one request on every server in turn and checks they answer with the same revision. */
  private long all(Object request, Call c) {
    long first = -1;
    for (KVGrpc.KVBlockingStub s : servers) {
      long rev = c.on(s.withDeadlineAfter(30, TimeUnit.SECONDS));
      if (first == -1) {
        first = rev;
      } else {
        assertThat(rev).as("revision after the same request on every server: %s", request).isEqualTo(first);
      }
    }
    return first;
  }
}
