package dev.strata.server.etcdserver;

import dev.strata.server.raft.RaftNode;
import dev.strata.server.raft.proto.Batch;
import dev.strata.server.raft.proto.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coalesces concurrently admitted write requests into one Raft entry (ARCHITECTURE "Proposal
 * batching"): Ratis' per-entry cost caps it at ~1.6-1.9K entries/s here, so requests/s come from
 * requests per entry. One thread drains the queue into a batch bounded by count and bytes; it sends at
 * once when nothing is in flight (no added latency for a lone client) and otherwise lingers up to
 * {@code linger} for more. A bound on entries in flight gives back-pressure and, under load, bigger
 * batches.
 */
final class Proposer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Proposer.class);

  /** One admitted request and its serialized size. */
  private record Pending(Request request, int bytes) {}

  private final RaftNode raft;
  private final Waiters waiters;
  private final long incarnation;
  private final int maxCount;
  private final int maxBytes;
  private final long lingerNanos;
  private final Semaphore inFlight;
  private final int maxInFlight;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private volatile boolean closed;
  private Pending carried;

  Proposer(RaftNode raft, Waiters waiters, long incarnation, int maxCount, int maxBytes, long lingerNanos,
      int maxInFlight) {
    this.raft = raft;
    this.waiters = waiters;
    this.incarnation = incarnation;
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
    this.lingerNanos = lingerNanos;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.thread = new Thread(this::run, "strata-proposer");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Queues one write; the future completes on the apply thread with the request's response, or fails
   * with its {@link dev.strata.server.EtcdException} or a replication failure.
   */
  CompletableFuture<Object> propose(Request.Builder request) {
    CompletableFuture<Object> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(dev.strata.server.EtcdError.STOPPED.exception());
      return f;
    }
    Request r = request.setId(waiters.register(f)).build();
    queue.add(new Pending(r, r.getSerializedSize()));
    return f;
  }

  long entries() {
    return entries.get();
  }

  long requests() {
    return requests.get();
  }

  private void run() {
    try {
      while (!closed) {
        List<Pending> batch = collect();
        inFlight.acquire();
        send(batch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("proposer stopped: error=\"{}\"", e.toString(), e);
    }
  }

  private List<Pending> collect() throws InterruptedException {
    List<Pending> batch = new ArrayList<>();
    Pending first = carried != null ? carried : queue.take();
    carried = null;
    batch.add(first);
    long bytes = first.bytes();
    long deadline = System.nanoTime() + lingerNanos;
    while (batch.size() < maxCount) {
      Pending p = queue.poll();
      if (p == null) {
        long left = deadline - System.nanoTime();
        if (inFlight.availablePermits() == maxInFlight || left <= 0) {
          break; // idle pipeline: send now rather than wait for company
        }
        p = queue.poll(left, TimeUnit.NANOSECONDS);
        if (p == null) {
          break;
        }
      }
      if (bytes + p.bytes() > maxBytes) {
        carried = p;
        break;
      }
      batch.add(p);
      bytes += p.bytes();
    }
    return batch;
  }

  private void send(List<Pending> batch) {
    Batch.Builder b = Batch.newBuilder().setProposer(incarnation);
    batch.forEach(p -> b.addRequests(p.request()));
    entries.incrementAndGet();
    requests.addAndGet(batch.size());
    raft.replicate(b.build().toByteString().asReadOnlyByteBuffer()).whenComplete((index, err) -> {
      inFlight.release();
      if (err != null) {
        // Not committed: the calls must not wait for an apply that will never come.
        LOG.warn("proposal failed: requests={} error=\"{}\"", batch.size(), err.toString());
        batch.forEach(p -> waiters.fail(p.request().getId(), err));
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
