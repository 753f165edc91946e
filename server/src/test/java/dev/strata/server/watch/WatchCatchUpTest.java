package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Catch-up from history, compaction, and slow consumers: every watcher gets exactly the events of its
 * range, in order, each revision in one response, with no gap and no repeat.
 */
class WatchCatchUpTest extends WatchHarness {

  static long seed() {
    long seed = Long.getLong("strata.seed", System.nanoTime());
    System.out.println("WatchCatchUpTest seed=" + seed + " (replay with -Dstrata.seed=" + seed + ")");
    return seed;
  }

  static final Predicate<String> ALL = k -> true;
  static final Predicate<String> PREFIX_A = k -> k.startsWith("a/");

  /** Watch {@code id}'s events equal {@code expected}; no revision is split across responses. */
  static void assertExactly(List<WatchResponse> rs, long id, List<String> expected) {
    assertThat(describe(RecordingSink.events(rs, id))).as("events of watch %d", id)
        .containsExactlyElementsOf(expected);
    Set<Long> seen = new HashSet<>();
    for (WatchResponse r : rs) {
      if (r.getWatchId() != id || r.getEventsCount() == 0) {
        continue;
      }
      Set<Long> revs = new HashSet<>();
      r.getEventsList().forEach(e -> revs.add(e.getKv().getModRevision()));
      for (long rev : revs) {
        assertThat(seen.add(rev)).as("revision %d of watch %d split across responses", rev, id).isTrue();
      }
      long last = r.getEvents(r.getEventsCount() - 1).getKv().getModRevision();
      assertThat(r.getHeader().getRevision()).as("header revision").isGreaterThanOrEqualTo(last);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void catchUpFromPastThenLiveWhileWriting(String engine) {
    long seed = seed();
    open(engine, WatchOptions.defaults().withSyncBatchEntries(7));
    Workload w = new Workload(this, seed, 40);
    for (int i = 0; i < 400; i++) {
      w.step();
    }
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("\0", "\0", 2));                 // 0: everything from the first write
    s.handle(create("a/", "a0", 150));               // 1: a prefix from the middle
    s.handle(create("b/0001", null, 1));             // 2: one key from revision 1
    for (int i = 0; i < 300; i++) {                  // live writes while they catch up
      w.step();
    }
    sink.awaitEventsUpTo(0, w.lastRev);
    sink.awaitEventsUpTo(1, w.lastRev(PREFIX_A));
    long lastB1 = w.lastRev("b/0001"::equals);
    if (lastB1 > 0) {
      sink.awaitEventsUpTo(2, lastB1);
    }
    List<WatchResponse> rs = sink.all();
    assertExactly(rs, 0, w.expected(2, ALL));
    assertExactly(rs, 1, w.expected(150, PREFIX_A));
    assertExactly(rs, 2, w.expected(1, "b/0001"::equals));
    assertThat(rs.stream().filter(r -> r.getWatchId() == 0).count()).as("chunked catch-up").isGreaterThan(20);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void compactedStartIsCanceledWithCompactRevision(String engine) {
    open(engine);
    put("a", "1");
    put("a", "2");
    long c = put("a", "3");
    long after = put("a", "4");
    compact(c);
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a", null, c - 1, b -> WireFields.withIdAndFragment(b, 5, false)));
    List<WatchResponse> rs = sink.awaitCount(2);
    assertThat(rs.get(0).getCreated()).isTrue();
    WatchResponse cancel = rs.get(1);
    assertThat(cancel.getCanceled()).isTrue();
    assertThat(cancel.getWatchId()).isEqualTo(5);
    assertThat(cancel.getCompactRevision()).isEqualTo(c);
    assertThat(cancel.getHeader().getRevision()).as("etcd: header revision 0").isZero();
    assertThat(cancel.getCancelReason()).isEmpty();
    // The id stays taken until the client cancels it.
    s.handle(create("a", null, 0, b -> WireFields.withIdAndFragment(b, 5, false)));
    s.handle(cancel(5));
    rs = sink.awaitCount(4);
    assertThat(rs.get(2).getCancelReason()).isEqualTo(WatchHub.DUPLICATE_ID);
    assertThat(rs.get(3).getCanceled()).isTrue();
    // start == compact revision is allowed.
    s.handle(create("a", null, c));
    List<Event> evs = sink.awaitEventsUpTo(0, after);
    assertThat(describe(evs)).containsExactly(c + ":PUT:a", after + ":PUT:a");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void compactionOvertakingAStalledCatchUpCancelsWithoutGaps(String engine) {
    long seed = seed();
    open(engine, WatchOptions.defaults().withSyncBatchEntries(5).withStreamQueueCapacity(2));
    Workload w = new Workload(this, seed, 20);
    for (int i = 0; i < 200; i++) {
      w.step();
    }
    RecordingSink sink = new RecordingSink(1);
    WatchStream s = stream(sink);
    s.handle(create("\0", "\0", 2));
    sink.awaitCount(1);  // created; the sink is now "full" until consumed
    sink.consume(1);
    sink.await(l -> l.size() >= 2, "first catch-up response");
    long c = w.lastRev - 10;
    compact(c);
    sink.release();
    sink.await(l -> l.stream().anyMatch(r -> r.getCompactRevision() != 0), "compaction cancel");
    List<WatchResponse> rs = sink.all();
    WatchResponse last = rs.get(rs.size() - 1);
    assertThat(last.getCanceled()).isTrue();
    assertThat(last.getCompactRevision()).isEqualTo(c);
    List<String> got = describe(RecordingSink.events(rs, 0));
    assertThat(got).as("a gap-free prefix of the history").isNotEmpty()
        .isEqualTo(w.expected(2, ALL).subList(0, got.size()));
  }
}
