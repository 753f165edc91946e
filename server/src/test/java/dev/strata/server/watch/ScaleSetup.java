package dev.strata.server.watch;

import io.etcd.jetcd.api.WatchResponse;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A Kubernetes-like watch population for scale tests: streams of 100 watchers, 90% on single keys
 * {@code /registry/ns-NNNN/obj-MMM} (about 4.5 watchers per key), 10% on namespace prefixes.
 */
final class ScaleSetup {

  static final int NAMESPACES = 10_000;
  static final int OBJECTS_PER_NS = 20;

  private ScaleSetup() {}

  static String key(int ns, int obj) {
    return String.format("/registry/ns-%04d/obj-%03d", ns, obj);
  }

  /** A sink that is always ready and hands each response to {@code onResponse}. */
  static WatchSink sink(Consumer<WatchResponse> onResponse) {
    return new WatchSink() {
      @Override
      public void send(WatchResponse response) {
        onResponse.accept(response);
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setOnReady(Runnable onReady) {
      }
    };
  }

  /** Registers {@code watchers} watchers over {@code streams} streams; returns the streams. */
  static List<WatchStream> register(WatchHub hub, int streams, int watchers, Consumer<WatchResponse> sink) {
    List<WatchStream> out = new ArrayList<>(streams);
    for (int s = 0; s < streams; s++) {
      out.add(hub.openStream(sink(sink), HeaderFiller.revisionOnly()));
    }
    long n = 0;
    for (int i = 0; i < watchers; i++) {
      WatchStream s = out.get(i % streams);
      n = n * 6364136223846793005L + 1442695040888963407L; // deterministic spread over the keyspace
      int ns = (int) Long.remainderUnsigned(n >>> 11, NAMESPACES);
      if (i % 10 == 9) {
        String prefix = String.format("/registry/ns-%04d/", ns);
        s.handle(WatchHarness.create(prefix, prefix.substring(0, prefix.length() - 1) + "0", 0));
      } else {
        int obj = (int) Long.remainderUnsigned(n >>> 40, OBJECTS_PER_NS);
        s.handle(WatchHarness.create(key(ns, obj), null, 0));
      }
    }
    return out;
  }

  static void awaitDrained(List<WatchStream> streams) {
    Await.until(() -> streams.stream().allMatch(s -> s.queued() == 0), "streams drained");
  }

  /** Heap in use after repeated full GCs (best effort: System.gc is a request). */
  static long usedHeapAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
