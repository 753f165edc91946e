package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Create/cancel replies, ids, validation, live events, txn atomicity, ranges, filters, prev_kv. */
class WatchBasicsTest extends WatchHarness {

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void createdComesFirstThenLiveEventsInOrder(String engine) {
    open(engine);
    long before = put("a", "0");
    RecordingSink sink = new RecordingSink();
    stream(sink).handle(create("a", null, 0));
    WatchResponse created = sink.awaitCount(1).get(0);
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getWatchId()).isZero();
    assertThat(created.getHeader().getRevision()).isEqualTo(before);

    long r1 = put("a", "1");
    put("b", "ignored");
    long r2 = del("a");
    List<Event> evs = sink.awaitEventsUpTo(0, r2);
    assertThat(describe(evs)).containsExactly(r1 + ":PUT:a", r2 + ":DELETE:a");
    assertThat(evs.get(0).getKv().getValue().toStringUtf8()).isEqualTo("1");
    assertThat(evs.get(0).getKv().getVersion()).isEqualTo(2);
    // etcd's DELETE kv carries only key and mod_revision.
    assertThat(evs.get(1).getKv())
        .isEqualTo(KeyValue.newBuilder().setKey(bs("a")).setModRevision(r2).build());
    List<WatchResponse> all = sink.all();
    assertThat(all.subList(1, all.size())).allSatisfy(r -> {
      assertThat(r.getEventsCount()).isEqualTo(1);
      assertThat(r.getHeader().getRevision()).isEqualTo(r.getEvents(0).getKv().getModRevision());
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void txnEventsArriveInOneResponseInOpOrder(String engine) {
    open(engine);
    RecordingSink sink = new RecordingSink();
    stream(sink).handle(create("k", "l", 0));
    sink.awaitCount(1);
    long rev = txnPut("k3", "c", "k1", "a", "k2", "b");
    List<WatchResponse> rs = sink.awaitCount(2);
    assertThat(rs).hasSize(2);
    assertThat(rs.get(1).getHeader().getRevision()).isEqualTo(rev);
    assertThat(describe(rs.get(1).getEventsList()))
        .containsExactly(rev + ":PUT:k3", rev + ":PUT:k1", rev + ":PUT:k2");
    long delRev = delRange("k", "l");
    rs = sink.awaitCount(3);
    assertThat(describe(rs.get(2).getEventsList()))
        .containsExactly(delRev + ":DELETE:k1", delRev + ":DELETE:k2", delRev + ":DELETE:k3");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void idsAreAutoFromZeroOrClientChosenAndUnique(String engine) {
    open(engine);
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a", null, 0));
    s.handle(create("a", null, 0, b -> WireFields.withIdAndFragment(b, 7, false)));
    s.handle(create("a", null, 0, b -> WireFields.withIdAndFragment(b, 7, false)));
    s.handle(create("a", null, 0));
    s.handle(create("a", null, 0));
    List<WatchResponse> rs = sink.awaitCount(5);
    assertThat(rs).extracting(WatchResponse::getWatchId).containsExactly(0L, 7L, -1L, 1L, 2L);
    assertThat(rs.get(2).getCanceled()).isTrue();
    assertThat(rs.get(2).getCreated()).isTrue();
    assertThat(rs.get(2).getCancelReason()).isEqualTo("mvcc: duplicate watch ID provided on the WatchStream");
    // Cancelled ids are not reused by the auto counter.
    s.handle(cancel(1));
    s.handle(create("a", null, 0));
    rs = sink.awaitCount(7);
    assertThat(rs.get(5).getCanceled()).isTrue();
    assertThat(rs.get(5).getWatchId()).isEqualTo(1);
    assertThat(rs.get(6).getWatchId()).isEqualTo(3);
    assertThat(hub.watchers()).isEqualTo(4);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void invalidCreatesAreRejectedInStream(String engine) {
    open(engine);
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("b", "a", 0));
    s.handle(create("b", "b", 0));
    s.handle(create("a", null, -1));
    List<WatchResponse> rs = sink.awaitCount(3);
    assertThat(rs).allSatisfy(r -> {
      assertThat(r.getCreated()).isTrue();
      assertThat(r.getCanceled()).isTrue();
      assertThat(r.getWatchId()).isEqualTo(-1);
    });
    assertThat(rs).extracting(WatchResponse::getCancelReason).containsExactly(
        "mvcc: watcher range is empty", "mvcc: watcher range is empty",
        "etcdserver: mvcc: required revision has been compacted");
    assertThat(hub.watchers()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void cancelRepliesOnceAndStopsEvents(String engine) {
    open(engine);
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a", null, 0));
    long r1 = put("a", "1");
    sink.awaitEventsUpTo(0, r1);
    s.handle(cancel(0));
    s.handle(cancel(0));   // no longer live: no reply
    s.handle(cancel(42));  // never existed: no reply
    s.handle(create("z", null, 0)); // a marker after the cancels
    List<WatchResponse> rs = sink.await(l -> l.stream().anyMatch(r -> r.getWatchId() == 1), "marker");
    assertThat(rs).hasSize(4);
    assertThat(rs.get(2).getCanceled()).isTrue();
    assertThat(rs.get(2).getWatchId()).isZero();
    assertThat(rs.get(2).getHeader().getRevision()).isEqualTo(r1);
    long r2 = put("a", "2");
    long r3 = put("z", "1");
    sink.awaitEventsUpTo(1, r3);
    assertThat(RecordingSink.events(sink.all(), 0)).hasSize(1);
    assertThat(r2).isLessThan(r3);
    assertThat(hub.syncedWatchers()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void rangesPrefixesAndFromKey(String engine) {
    open(engine);
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a/", "a0", 0));        // 0: prefix a/
    s.handle(create("b", "\0", 0));         // 1: every key >= b
    s.handle(create("", "\0", 0));          // 2: every key ("" becomes "\0")
    s.handle(create("a/m", "b", 0));        // 3: [a/m, b)
    s.handle(create("a/x", null, 0));       // 4: one key
    sink.awaitCount(5);
    String[] keys = {"a", "a/", "a/a", "a/m", "a/x", "a0", "b", "c", "\0"};
    java.util.Map<String, Long> revOf = new java.util.HashMap<>();
    for (String k : keys) {
      revOf.put(k, put(k, "v"));
    }
    assertThat(keysOf(sink, 1, revOf.get("c"))).as("from b").containsExactly("b", "c");
    assertThat(keysOf(sink, 0, revOf.get("a/x"))).as("prefix a/").containsExactly("a/", "a/a", "a/m", "a/x");
    assertThat(keysOf(sink, 2, revOf.get("\0"))).as("all").containsExactly(keys);
    assertThat(keysOf(sink, 3, revOf.get("a0"))).as("[a/m, b)").containsExactly("a/m", "a/x", "a0");
    assertThat(keysOf(sink, 4, revOf.get("a/x"))).as("a/x").containsExactly("a/x");
  }

  private static List<String> keysOf(RecordingSink sink, long id, long lastRev) {
    return sink.awaitEventsUpTo(id, lastRev).stream().map(e -> e.getKv().getKey().toStringUtf8()).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void filtersDropEventsAndEmptyResponses(String engine) {
    open(engine);
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a", null, 0, b -> b.addFilters(WatchCreateRequest.FilterType.NOPUT)));
    s.handle(create("a", null, 0, b -> b.addFilters(WatchCreateRequest.FilterType.NODELETE)));
    sink.awaitCount(2);
    long p1 = put("a", "1");
    long d1 = del("a");
    long p2 = put("a", "2");
    sink.awaitEventsUpTo(1, p2);
    sink.awaitEventsUpTo(0, d1);
    assertThat(describe(RecordingSink.events(sink.all(), 0))).containsExactly(d1 + ":DELETE:a");
    assertThat(describe(RecordingSink.events(sink.all(), 1))).containsExactly(p1 + ":PUT:a", p2 + ":PUT:a");
    assertThat(sink.all()).as("no empty responses").hasSize(5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void prevKvLiveAndFromHistory(String engine) {
    open(engine);
    long r1 = put("a", "1");
    long r2 = put("a", "2");
    long r3 = del("a");
    long r4 = put("a", "3");
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a", null, r1, b -> b.setPrevKv(true)));  // catch-up
    List<Event> evs = sink.awaitEventsUpTo(0, r4);
    s.handle(create("a", null, 0, b -> b.setPrevKv(true)));   // live
    sink.awaitCount(3);
    long r5 = put("a", "4");
    long r6 = del("a");
    sink.awaitEventsUpTo(1, r6);
    evs = sink.awaitEventsUpTo(0, r6);
    assertThat(evs).extracting(e -> e.hasPrevKv()).containsExactly(false, true, true, false, true, true);
    assertThat(evs.get(1).getPrevKv().getValue().toStringUtf8()).isEqualTo("1");
    assertThat(evs.get(2).getPrevKv().getModRevision()).isEqualTo(r2);
    assertThat(evs.get(4).getPrevKv().getValue().toStringUtf8()).isEqualTo("3");
    assertThat(RecordingSink.events(sink.all(), 1)).extracting(e -> e.getPrevKv().getValue().toStringUtf8())
        .containsExactly("3", "4");
    assertThat(r3).isLessThan(r5);
  }
}
