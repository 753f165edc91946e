package dev.strata.server.watch;

import static dev.strata.server.watch.WatchCatchUpTest.ALL;
import static dev.strata.server.watch.WatchCatchUpTest.PREFIX_A;
import static dev.strata.server.watch.WatchCatchUpTest.assertExactly;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchResponse;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stalled or slow client must not hold up the apply thread (the test thread writing here) or any
 * other stream, and once it reads again it must get everything, in order, exactly once: its live
 * watchers become victims, then catch up from history.
 */
class WatchSlowConsumerTest extends WatchHarness {

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void slowStreamDoesNotBlockWritesOrOthersAndLosesNothing(String engine) {
    long seed = WatchCatchUpTest.seed();
    Random rnd = new Random(seed ^ 0x5DEECE66DL);
    open(engine, WatchOptions.defaults().withStreamQueueCapacity(4).withSyncBatchEntries(16));
    Workload w = new Workload(this, seed, 30);
    w.step();
    long first = w.lastRev;

    RecordingSink fast = new RecordingSink();
    stream(fast).handle(create("\0", "\0", 0));
    RecordingSink slow = new RecordingSink(2);
    WatchStream s = stream(slow);
    s.handle(create("\0", "\0", 0, b -> b.setPrevKv(true)));   // 0
    s.handle(create("a/", "a0", 0));                          // 1
    s.handle(create("\0", "\0", first));                      // 2: from the past
    fast.awaitCount(1);

    // Phase 1: the slow client reads nothing at all. If a write waited for it, this loop would hang.
    for (int i = 0; i < 600; i++) {
      w.step();
    }
    long phase1 = w.lastRev;
    fast.awaitEventsUpTo(0, phase1);
    assertThat(slow.all().size()).as("the slow client got only what fits its buffer").isLessThanOrEqualTo(2);

    // Phase 2: it reads a little, at random moments, while writes go on.
    for (int i = 0; i < 600; i++) {
      w.step();
      if (rnd.nextInt(8) == 0) {
        slow.consume(1 + rnd.nextInt(3));
      }
    }
    fast.awaitEventsUpTo(0, w.lastRev);

    // Phase 3: it reads everything.
    slow.release();
    slow.awaitEventsUpTo(0, w.lastRev);
    slow.awaitEventsUpTo(2, w.lastRev);
    slow.awaitEventsUpTo(1, w.lastRev(PREFIX_A));

    long start = first + 1;
    assertExactly(fast.all(), 0, w.expected(start, ALL));
    List<WatchResponse> rs = slow.all();
    assertExactly(rs, 0, w.expected(start, ALL));
    assertExactly(rs, 1, w.expected(start, PREFIX_A));
    assertExactly(rs, 2, w.expected(first, ALL));
    for (Event e : RecordingSink.events(rs, 0)) {
      boolean creation = e.getType() == Event.EventType.PUT
          && e.getKv().getCreateRevision() == e.getKv().getModRevision();
      assertThat(e.hasPrevKv()).as("prev_kv of %s", describe(List.of(e))).isEqualTo(!creation);
    }
    assertThat(hub.syncedWatchers()).as("everyone synced again").isEqualTo(4);
    assertThat(hub.victimsMade()).as("live watchers became victims").isPositive();
    System.out.println("slow consumer: victims=" + hub.victimsMade() + " slowResponses=" + rs.size()
        + " revisions=" + w.lastRev);
  }
}
