package dev.strata.server.watch;

import dev.strata.server.mvcc.TestEngines;
import dev.strata.backend.Backend;
import dev.strata.server.mvcc.MvccOptions;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * Registers many watchers (default 1M over 10K streams), prints heap per watcher, then drives puts at
 * a fixed rate from one thread (the apply thread's role) and prints the put → sink latency of the
 * events (HdrHistogram). Not a unit test: run with
 * {@code java -Xmx4g -cp <test classpath> dev.strata.server.watch.WatchScaleBenchmark
 * [engine] [watchers] [streams] [puts] [putsPerSecond]}.
 */
public final class WatchScaleBenchmark {

  private WatchScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    String engine = args.length > 0 ? args[0] : "btree";
    int watchers = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int streams = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    int puts = args.length > 3 ? Integer.parseInt(args[3]) : 5_000;
    int rate = args.length > 4 ? Integer.parseInt(args[4]) : 500;
    Path dir = Files.createTempDirectory("strata-watch-bench");
    Recorder latency = new Recorder(3);
    AtomicLong delivered = new AtomicLong();
    try (Backend backend = TestEngines.open(engine, dir.resolve("backend"));
        MvccStore store = MvccStore.open(backend, MvccOptions.defaults());
        WatchHub hub = WatchHub.start(store, WatchOptions.defaults())) {
      long before = ScaleSetup.usedHeapAfterGc();
      long t0 = System.nanoTime();
      List<WatchStream> ss = ScaleSetup.register(hub, streams, watchers, r -> record(r, latency, delivered));
      ScaleSetup.awaitDrained(ss);
      long regMs = (System.nanoTime() - t0) / 1_000_000;
      long after = ScaleSetup.usedHeapAfterGc();
      System.out.printf("engine=%s watchers=%d streams=%d registerMs=%d heapUsedMiB=%.1f bytesPerWatch=%.0f%n",
          engine, hub.watchers(), streams, regMs, after / 1048576.0, (after - before) / (double) watchers);

      Random rnd = new Random(42);
      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      for (int i = 0; i < puts; i++) {
        LockSupport.parkNanos(next - System.nanoTime()); // open-loop pacing of the writer
        next += interval;
        String key = ScaleSetup.key(rnd.nextInt(ScaleSetup.NAMESPACES), rnd.nextInt(ScaleSetup.OBJECTS_PER_NS));
        store.put(PutRequest.newBuilder().setKey(WatchHarness.bs(key))
            .setValue(WatchHarness.bs(Long.toString(System.nanoTime()))).build());
        store.commitIfDue();
      }
      long expectedAtLeast = delivered.get();
      Await.until(() -> ss.stream().allMatch(s -> s.queued() == 0), "all events sent");
      var h = latency.getIntervalHistogram();
      System.out.printf("puts=%d rate=%d/s eventsDelivered=%d (>= %d) latencyMicros p50=%d p99=%d p999=%d max=%d%n",
          puts, rate, delivered.get(), expectedAtLeast, h.getValueAtPercentile(50) / 1000,
          h.getValueAtPercentile(99) / 1000, h.getValueAtPercentile(99.9) / 1000, h.getMaxValue() / 1000);
      System.out.printf("victims=%d%n", hub.victimsMade());
      ss.forEach(WatchStream::close);
    }
  }

  private static void record(WatchResponse r, Recorder latency, AtomicLong delivered) {
    if (r.getEventsCount() == 0) {
      return;
    }
    long sentAt = Long.parseLong(r.getEvents(0).getKv().getValue().toStringUtf8());
    latency.recordValue(Math.max(0, System.nanoTime() - sentAt));
    delivered.incrementAndGet();
  }
}
