package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RequestProgress, periodic progress_notify, and fragmentation of large responses. */
class WatchProgressFragmentTest extends WatchHarness {

  static boolean isProgress(WatchResponse r) {
    return r.getEventsCount() == 0 && !r.getCreated() && !r.getCanceled() && r.getCompactRevision() == 0;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void requestProgressOnlyWhenAllWatchersSynced(String engine) {
    open(engine, WatchOptions.defaults().withStreamQueueCapacity(2).withSyncBatchEntries(1));
    for (int i = 0; i < 20; i++) {
      put("k", "v" + i);
    }
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(progress());                        // no watchers: nothing
    s.handle(create("k", null, 0));
    long rev = put("k", "x");
    sink.awaitEventsUpTo(0, rev);
    s.handle(progress());
    List<WatchResponse> rs = sink.await(l -> l.stream().anyMatch(WatchProgressFragmentTest::isProgress),
        "progress reply");
    WatchResponse p = rs.get(rs.size() - 1);
    assertThat(p.getWatchId()).isEqualTo(-1);
    assertThat(p.getHeader().getRevision()).isEqualTo(rev);
    assertThat(rs).as("created, event, progress").hasSize(3);

    // A watcher that is still catching up (its client reads nothing) makes the request a no-op.
    RecordingSink stalled = new RecordingSink(1);
    WatchStream t = stream(stalled);
    t.handle(create("k", null, 2));
    stalled.awaitCount(1);
    t.handle(progress());
    t.handle(cancel(0));
    stalled.release();
    rs = stalled.await(l -> l.stream().anyMatch(WatchResponse::getCanceled), "cancel reply");
    assertThat(rs).noneMatch(WatchProgressFragmentTest::isProgress);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void progressNotifyTicksForIdleWatchersOnly(String engine) {
    open(engine, WatchOptions.defaults().withProgressNotifyInterval(Duration.ofMillis(100)));
    long rev = put("x", "1");
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("a", null, 0, b -> b.setProgressNotify(true)));
    s.handle(create("b", null, 0));
    s.handle(create("c", null, rev + 100, b -> b.setProgressNotify(true))); // future start: never
    List<WatchResponse> rs = sink.await(
        l -> l.stream().filter(WatchProgressFragmentTest::isProgress).count() >= 3, "three progress ticks");
    List<WatchResponse> ticks = rs.stream().filter(WatchProgressFragmentTest::isProgress).toList();
    assertThat(ticks).allSatisfy(r -> {
      assertThat(r.getWatchId()).isZero();
      assertThat(r.getHeader().getRevision()).isGreaterThanOrEqualTo(rev);
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void largeResponsesAreFragmentedOnlyWhenAsked(String engine) {
    int limit = 4096;
    open(engine, WatchOptions.defaults().withMaxResponseBytes(limit));
    RecordingSink sink = new RecordingSink();
    WatchStream s = stream(sink);
    s.handle(create("k", "l", 0, b -> WireFields.withIdAndFragment(b, 0, true)));
    s.handle(create("k", "l", 0));
    sink.awaitCount(2);
    String big = "v".repeat(1500);
    String[] kvs = new String[20];
    for (int i = 0; i < 10; i++) {
      kvs[2 * i] = "k" + i;
      kvs[2 * i + 1] = big;
    }
    long rev = txnPut(kvs);
    long small = txnPut("k1", "s", "k2", "s");
    sink.awaitEventsUpTo(0, small);
    sink.awaitEventsUpTo(1, small);
    List<WatchResponse> fragmented = new ArrayList<>();
    List<WatchResponse> whole = new ArrayList<>();
    for (WatchResponse r : sink.all()) {
      if (r.getEventsCount() > 0 && r.getEvents(0).getKv().getModRevision() == rev) {
        (r.getWatchId() == 0 ? fragmented : whole).add(r);
      }
    }
    assertThat(whole).hasSize(1);
    assertThat(WireFields.isFragment(whole.get(0))).isFalse();
    assertThat(fragmented.size()).isGreaterThan(2);
    List<Event> joined = new ArrayList<>();
    for (int i = 0; i < fragmented.size(); i++) {
      WatchResponse f = fragmented.get(i);
      assertThat(WireFields.isFragment(f)).as("fragment flag of piece %d", i).isEqualTo(i < fragmented.size() - 1);
      assertThat(f.getSerializedSize()).isLessThan(limit);
      assertThat(f.getHeader().getRevision()).isEqualTo(rev);
      joined.addAll(f.getEventsList());
    }
    assertThat(joined).isEqualTo(whole.get(0).getEventsList());
    // a small response of the same watcher is not split
    assertThat(sink.all().get(sink.all().size() - 1).getEventsCount()).isEqualTo(2);
  }
}
