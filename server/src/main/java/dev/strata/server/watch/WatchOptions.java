package dev.strata.server.watch;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of a {@link WatchHub}.
 *
 * @param progressNotifyInterval period of progress_notify replies (etcd's
 *     {@code --experimental-watch-progress-notify-interval}, default 10 min), plus up to 10% jitter
 * @param maxResponseBytes a fragment-enabled response of 2+ events at least this big is split (etcd:
 *     {@code --max-request-bytes} + 512 KiB gRPC overhead = 2 MiB by default)
 * @param streamQueueCapacity responses a stream buffers before its watchers become victims or stop
 *     catching up (etcd's {@code chanBufLen}, 128); created/cancel replies are never refused
 * @param syncBatchEntries KEY bucket entries read per catch-up pass (a revision is never split)
 * @param maxWatchersPerSync unsynced watchers handled per catch-up pass (etcd's 512)
 * @param sendThreads threads that drain streams into their sinks (and read prev_kv)
 */
public record WatchOptions(Duration progressNotifyInterval, int maxResponseBytes,
    int streamQueueCapacity, int syncBatchEntries, int maxWatchersPerSync, int sendThreads) {

  /** etcd's default {@code --max-request-bytes} (1.5 MiB) plus its gRPC overhead allowance (512 KiB). */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 1_572_864 + 524_288;

  public WatchOptions {
    Objects.requireNonNull(progressNotifyInterval, "progressNotifyInterval");
    if (progressNotifyInterval.toMillis() < 1) {
      throw new IllegalArgumentException("progressNotifyInterval must be >= 1 ms");
    }
    positive(maxResponseBytes, "maxResponseBytes");
    positive(streamQueueCapacity, "streamQueueCapacity");
    positive(syncBatchEntries, "syncBatchEntries");
    positive(maxWatchersPerSync, "maxWatchersPerSync");
    positive(sendThreads, "sendThreads");
  }

  public static WatchOptions defaults() {
    return new WatchOptions(Duration.ofMinutes(10), DEFAULT_MAX_RESPONSE_BYTES, 128, 1000, 512, 2);
  }

  public WatchOptions withProgressNotifyInterval(Duration d) {
    return new WatchOptions(d, maxResponseBytes, streamQueueCapacity, syncBatchEntries,
        maxWatchersPerSync, sendThreads);
  }

  public WatchOptions withMaxResponseBytes(int bytes) {
    return new WatchOptions(progressNotifyInterval, bytes, streamQueueCapacity, syncBatchEntries,
        maxWatchersPerSync, sendThreads);
  }

  public WatchOptions withStreamQueueCapacity(int n) {
    return new WatchOptions(progressNotifyInterval, maxResponseBytes, n, syncBatchEntries,
        maxWatchersPerSync, sendThreads);
  }

  public WatchOptions withSyncBatchEntries(int n) {
    return new WatchOptions(progressNotifyInterval, maxResponseBytes, streamQueueCapacity, n,
        maxWatchersPerSync, sendThreads);
  }

  private static void positive(int v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, got " + v);
    }
  }
}
