package dev.strata.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/** Puts w/000000, w/000001, ... through jetcd, paced, recording which were acknowledged. */
final class LoadWriter implements AutoCloseable {
  record Summary(List<String> acked, long failed, long longestGapMs) {}

  private final Client client;
  private final Queue<String> acked = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private volatile long failed;
  private volatile Exception lastError;
  private volatile long longestGapNanos;

  private LoadWriter(String... endpoints) {
    client = Client.builder().endpoints(endpoints).build();
    thread = new Thread(this::run, "reconfig-writer");
    thread.setDaemon(true);
  }

  static LoadWriter start(String... endpoints) {
    LoadWriter w = new LoadWriter(endpoints);
    w.thread.start();
    return w;
  }

  private void run() {
    long lastOk = System.nanoTime();
    for (int i = 0; !stop.get(); i++) {
      String key = String.format("w/%06d", i);
      try {
        client.getKVClient().put(bs(key), bs("v" + i)).get(10, TimeUnit.SECONDS);
        acked.add(key);
        long now = System.nanoTime();
        longestGapNanos = Math.max(longestGapNanos, now - lastOk);
        lastOk = now;
      } catch (Exception e) {
        failed++;
        lastError = e;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // pacing, ~150 writes/s at most
    }
  }

  long acked() {
    return acked.size();
  }

  /** Waits until {@code n} more writes were acknowledged: the cluster serves. */
  void awaitMore(long n) {
    long target = acked.size() + Math.max(1, n);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (acked.size() < target) {
      assertThat(System.nanoTime()).as("writes acknowledged: %d of %d, failed %d, last error %s", acked.size(),
          target, failed, lastError).isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    stop.set(true);
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
  }

  /** What the writer did; complete once it is closed. */
  Summary summary() {
    return new Summary(List.copyOf(acked), failed, TimeUnit.NANOSECONDS.toMillis(longestGapNanos));
  }
}
