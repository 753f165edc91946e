package dev.strata.server.etcdserver;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.strata.server.raft.RaftNode;
import dev.strata.server.raft.proto.Batch;
import dev.strata.server.raft.proto.Request;
import java.io.IOException;
import java.nio.ByteBuffer;
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
 * batches. On a follower a batch goes to the leader's proposer ({@link #takeForwarded}), which adds it
 * to its own next entry: a cluster makes the leader's entries only, however many members take writes.
 */
final class Proposer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Proposer.class);
  /** The wire tag of {@code Batch.requests}: field number, then the wire type in the low 3 bits. */
  private static final int REQUESTS_TAG = Batch.REQUESTS_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /**
   * Requests waiting for an entry: one admitted here ({@code local}), or a batch a follower forwarded,
   * still encoded ({@code forwarded}, answered through {@code taken} with its entry's index).
   */
  private record Pending(Request local, byte[] forwarded, int count, int bytes, CompletableFuture<Long> taken) {

    static Pending local(Request r) {
      return new Pending(r, null, 1, r.getSerializedSize(), null);
    }
  }

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
    // every request names its proposer: a follower's requests travel inside the leader's entries
    queue.add(Pending.local(request.setId(waiters.register(f)).setProposer(incarnation).build()));
    return f;
  }

  /**
   * Leader side of forwarding: queues a follower's encoded {@link Batch} for this member's next entry
   * and completes with that entry's index once it is applied here. Throws, having queued nothing, if the
   * batch is malformed or this proposer is closed.
   */
  CompletableFuture<Long> takeForwarded(byte[] batch) {
    if (closed) {
      throw new IllegalStateException("proposer closed");
    }
    int count = countRequests(batch);
    CompletableFuture<Long> taken = new CompletableFuture<>();
    queue.add(new Pending(null, batch, count, batch.length, taken));
    return taken;
  }

  /**
   * The number of requests in an encoded batch, read without decoding them: a forwarded batch joins
   * the leader's entry as the bytes the follower sent, and encoded batches concatenate (a repeated
   * field's elements append). Only {@code requests} fields are allowed: a forwarded batch names its
   * proposer in each request.
   */
  static int countRequests(byte[] batch) {
    CodedInputStream in = CodedInputStream.newInstance(batch);
    int count = 0;
    try {
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag != REQUESTS_TAG) {
          throw new IllegalArgumentException("forwarded batch with an unexpected field: tag " + tag);
        }
        in.skipField(tag);
        count++;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed forwarded batch: " + e.getMessage(), e);
    }
    if (count == 0) {
      throw new IllegalArgumentException("empty forwarded batch");
    }
    return count;
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
    int count = first.count();
    long deadline = System.nanoTime() + lingerNanos;
    while (count < maxCount) {
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
      if (bytes + p.bytes() > maxBytes || count + p.count() > maxCount) {
        carried = p;
        break;
      }
      batch.add(p);
      bytes += p.bytes();
      count += p.count();
    }
    return batch;
  }

  private void send(List<Pending> batch) {
    int count = batch.stream().mapToInt(Pending::count).sum();
    entries.incrementAndGet();
    requests.addAndGet(count);
    raft.replicate(encode(batch)).whenComplete((index, err) -> {
      inFlight.release();
      if (err != null) {
        // Not committed: the calls must not wait for an apply that will never come.
        LOG.warn("proposal failed: requests={} error=\"{}\"", count, err.toString());
      }
      for (Pending p : batch) {
        if (p.taken() != null) {
          if (err == null) {
            p.taken().complete(index);
          } else {
            p.taken().completeExceptionally(err);
          }
        } else if (err != null) {
          waiters.fail(p.local().getId(), err);
        }
      }
    });
  }

  /** The entry: this member's requests encoded as a {@link Batch}, then each forwarded batch's bytes. */
  private static byte[] encode(List<Pending> batch) {
    Batch.Builder b = Batch.newBuilder();
    int forwardedBytes = 0;
    for (Pending p : batch) {
      if (p.local() != null) {
        b.addRequests(p.local());
      } else {
        forwardedBytes += p.forwarded().length;
      }
    }
    byte[] own = b.build().toByteArray();
    if (forwardedBytes == 0) {
      return own;
    }
    ByteBuffer entry = ByteBuffer.allocate(own.length + forwardedBytes).put(own);
    for (Pending p : batch) {
      if (p.forwarded() != null) {
        entry.put(p.forwarded());
      }
    }
    return entry.array();
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
