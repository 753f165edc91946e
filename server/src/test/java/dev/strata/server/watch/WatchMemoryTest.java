package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Heap cost of registered watchers: 100K watchers over 1K streams, measured as the difference in
 * heap in use after full GCs. The 1M-watcher figure comes from {@link WatchScaleBenchmark}.
 */
class WatchMemoryTest extends WatchHarness {

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void bytesPerWatcherStaySmall(String engine) {
    open(engine);
    int watchers = 100_000;
    long before = ScaleSetup.usedHeapAfterGc();
    List<WatchStream> streams = ScaleSetup.register(hub, 1_000, watchers, r -> { });
    ScaleSetup.awaitDrained(streams);
    long after = ScaleSetup.usedHeapAfterGc();
    double perWatch = (after - before) / (double) watchers;
    System.out.printf("watch memory: engine=%s watchers=%d streams=%d bytesPerWatch=%.0f%n",
        engine, watchers, streams.size(), perWatch);
    assertThat(hub.watchers()).isEqualTo(watchers);
    assertThat(hub.syncedWatchers()).isEqualTo(watchers);
    // etcd-scale target: well under ~350 B/watch; the margin absorbs GC measurement noise.
    assertThat(perWatch).isLessThan(350);
    // A write reaches its watchers (keeps the population reachable until here, too).
    long rev = put(ScaleSetup.key(0, 0), "v");
    assertThat(rev).isPositive();
    streams.forEach(WatchStream::close);
    assertThat(hub.watchers()).isZero();
  }
}
