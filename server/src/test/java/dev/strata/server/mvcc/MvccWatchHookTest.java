package dev.strata.server.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The watch hook (RevisionListener) and the history read used by watch catch-up. */
class MvccWatchHookTest extends StoreHarness {

  private static final String ENGINES = "dev.strata.server.mvcc.TestEngines#names";

  private record Published(long rev, List<Event> events) {}

  private static List<String> describe(List<Event> evs) {
    return evs.stream().map(e -> e.getKv().getModRevision() + ":" + e.getType() + ":"
        + e.getKv().getKey().toStringUtf8()).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void publishesEachRevisionAfterItIsVisible(String engine) {
    open(engine);
    put("a", "0");
    List<Published> got = new ArrayList<>();
    long at = store.setRevisionListener((rev, evs) -> {
      // visible to readers when published
      assertThat(store.currentRevision()).isEqualTo(rev);
      got.add(new Published(rev, evs));
    });
    assertThat(at).isEqualTo(2);
    long r1 = put("a", "1");
    store.deleteRange(Req.del("nothing"));                       // no revision: not published
    TxnRequest txn = Req.txn(List.of(), List.of(Req.op(Req.put("c", "1")), Req.op(Req.put("b", "1")),
        Req.op(Req.del("a"))), List.of());
    long r2 = store.txn(txn).getHeader().getRevision();
    store.txn(Req.txn(List.of(), List.of(Req.op(Req.get("a"))), List.of())); // read-only: nothing
    store.compact(CompactionRequest.newBuilder().setRevision(r1).build());   // no revision
    assertThat(got).extracting(Published::rev).containsExactly(r1, r2);
    assertThat(describe(got.get(1).events())).containsExactly(r2 + ":PUT:c", r2 + ":PUT:b", r2 + ":DELETE:a");
    Event del = got.get(1).events().get(2);
    assertThat(del.getKv().getValue().isEmpty()).isTrue();
    Event put = got.get(0).events().get(0);
    assertThat(put.getKv().getValue().toStringUtf8()).isEqualTo("1");
    assertThat(put.getKv().getVersion()).isEqualTo(2);
    assertThat(put.getKv().getCreateRevision()).isEqualTo(2);
    store.setRevisionListener(null);
    put("z", "1");
    assertThat(got).hasSize(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void readHistoryChunksAtRevisionBoundaries(String engine) {
    open(engine);
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      if (i % 5 == 4) {
        List<RequestOp> ops = List.of(Req.op(Req.put("t" + i, "x")), Req.op(Req.put("u" + i, "y")),
            Req.op(Req.put("v" + i, "z")));
        long rev = store.txn(Req.txn(List.of(), ops, List.of())).getHeader().getRevision();
        all.addAll(List.of(rev + ":PUT:t" + i, rev + ":PUT:u" + i, rev + ":PUT:v" + i));
      } else if (i % 7 == 6) {
        var d = store.deleteRange(Req.del("k" + (i - 1)));
        if (d.getDeleted() > 0) { // k(i-1) may have been a txn's turn: nothing deleted, no revision
          all.add(d.getHeader().getRevision() + ":DELETE:k" + (i - 1));
        }
      } else {
        all.add(put("k" + i, "v") + ":PUT:k" + i);
      }
      if (i == 15) {
        store.sync(); // half the history committed to the engine, half in the read buffer
      }
    }
    long cur = store.currentRevision();
    List<String> read = new ArrayList<>();
    long from = 2;
    int chunks = 0;
    while (from <= cur) {
      HistoryChunk c = store.readHistory(from, cur, 2);
      assertThat(c.isCompacted()).isFalse();
      assertThat(c.lastRevision()).isGreaterThanOrEqualTo(from);
      c.events().forEach(e -> assertThat(e.getKv().getModRevision()).isBetween(c.lastRevision() - 1,
          c.lastRevision()));
      read.addAll(describe(c.events()));
      from = c.lastRevision() + 1;
      chunks++;
    }
    assertThat(read).containsExactlyElementsOf(all);
    assertThat(chunks).isGreaterThan(10);
    store.compact(CompactionRequest.newBuilder().setRevision(10).setPhysical(true).build());
    assertThat(store.readHistory(9, cur, 100).compactRevision()).isEqualTo(10);
    assertThat(store.readHistory(10, cur, 1000).events()).isNotEmpty();
  }
}
