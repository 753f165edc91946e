package dev.strata.server.snapshot;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFactory;
import dev.strata.backend.BackendFailureException;
import dev.strata.backend.BackendOptions;
import dev.strata.server.raft.Halt;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follower side of snapshot catch-up: when the leader has purged the log this member needs, fetch
 * the leader's logical snapshot into {@code member/backend.incoming} (a fresh backend of this member's
 * <em>own</em> engine), verify it ({@link LogicalSnapshot#read} checks the stream and the stored
 * canonical hash), close it and {@linkplain BackendSwap#seal seal} the swap. Making it the live state
 * is a separate step (the store reload), run once Raft has paused applying.
 *
 * <p>Transient failures — no leader or no published client URL yet, leader change, network error, a
 * hash mismatch, a snapshot older than the leader's log start — are retried with backoff for as long
 * as it takes: the member must not resume applying without the snapshot. A storage failure of this
 * member halts it: the engine cannot be trusted to hold what it was given.
 */
public final class SnapshotCatchUp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotCatchUp.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  /** A stalled leader (paused, partitioned) is noticed by keepalive well before this. */
  private static final Duration TRANSFER_DEADLINE = Duration.ofHours(1);

  private final BackendSwap swap;
  private final BackendFactory engine;
  private final LongFunction<Optional<URI>> clientUrl;
  private final LongSupplier appliedIndex;
  private final Halt halt;
  private final ScheduledExecutorService thread;

  /**
   * @param engine this member's own engine: the snapshot is written into it whatever the leader runs
   * @param clientUrl a member's published client URL, by member id
   * @param appliedIndex this member's applied index (a snapshot must be newer)
   */
  public SnapshotCatchUp(BackendSwap swap, BackendFactory engine, LongFunction<Optional<URI>> clientUrl,
      LongSupplier appliedIndex, Halt halt) {
    this.swap = swap;
    this.engine = engine;
    this.clientUrl = clientUrl;
    this.appliedIndex = appliedIndex;
    this.halt = halt;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-snapshot-install");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the transfer; completes with the header of the sealed snapshot, which covers at least up to
   * {@code leaderFirstIndex - 1}. Never completes exceptionally except when the member halts or closes.
   *
   * @param leader the current leader's member id, 0 if none is known; asked again on every attempt
   */
  public CompletableFuture<SnapshotHeader> install(LongSupplier leader, long leaderFirstIndex) {
    CompletableFuture<SnapshotHeader> result = new CompletableFuture<>();
    schedule(() -> attempt(leader, leaderFirstIndex, 1, FIRST_BACKOFF, result), Duration.ZERO, result);
    return result;
  }

  private void attempt(LongSupplier leader, long leaderFirstIndex, int attempt, Duration backoff,
      CompletableFuture<SnapshotHeader> result) {
    long leaderId = leader.getAsLong();
    try {
      Optional<URI> url = leaderId == 0 ? Optional.empty() : clientUrl.apply(leaderId);
      if (url.isEmpty()) {
        throw new SnapshotException(leaderId == 0 ? "no leader known"
            : "leader " + Long.toHexString(leaderId) + " has not published a client URL");
      }
      long started = System.nanoTime();
      SnapshotHeader header = fetch(url.get());
      long applied = appliedIndex.getAsLong();
      if (header.index() + 1 < leaderFirstIndex || header.index() <= applied) {
        throw new SnapshotException("snapshot " + header + " is not new enough: leader's log starts at "
            + leaderFirstIndex + ", applied here " + applied);
      }
      swap.seal("snapshot term=" + header.term() + " index=" + header.index() + " from="
          + Long.toHexString(leaderId));
      LOG.info("snapshot received and sealed: leader={} url={} term={} index={} attempt={} tookMs={}",
          Long.toHexString(leaderId), url.get(), header.term(), header.index(), attempt,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      result.complete(header);
    } catch (BackendFailureException | UncheckedIOException e) {
      // the unsealed incoming dir is discarded by BackendSwap.recover() at the next start
      halt.halt("snapshot install: this member's storage failed", e);
      result.completeExceptionally(e);
    } catch (RuntimeException e) {
      LOG.warn("snapshot install attempt failed, retrying: leader={} attempt={} retryInMs={} error=\"{}\"",
          Long.toHexString(leaderId), attempt, backoff.toMillis(), e.toString());
      Duration next = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      schedule(() -> attempt(leader, leaderFirstIndex, attempt + 1, next, result), backoff, result);
    }
  }

  /** One transfer into a fresh incoming backend, closed on return; a failed one is deleted. */
  private SnapshotHeader fetch(URI leaderUrl) {
    swap.prepareIncoming();
    // keepalive notices a leader that stops answering (paused, partitioned) within ~20 s
    ManagedChannel channel = NettyChannelBuilder.forAddress(leaderUrl.getHost(), leaderUrl.getPort())
        .usePlaintext()
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .maxInboundMessageSize(4 * RawBytes.CHUNK)
        .build();
    boolean ok = false;
    try (Backend incoming = engine.open(swap.incomingDir(), BackendOptions.defaults())) {
      SnapshotHeader h = SnapshotFetcher.fetch(channel, incoming, TRANSFER_DEADLINE.toMillis());
      ok = true;
      return h;
    } catch (java.io.IOException e) {
      throw new SnapshotException("snapshot stream from " + leaderUrl + " broke: " + e, e);
    } finally {
      channel.shutdownNow();
      if (!ok) {
        swap.prepareIncoming(); // never leave a partial backend behind
      }
    }
  }

  private void schedule(Runnable r, Duration delay, CompletableFuture<SnapshotHeader> result) {
    try {
      thread.schedule(r, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("member closing", e));
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
