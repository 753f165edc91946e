package dev.strata.server.snapshot;

import dev.strata.backend.Backend;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * Follower side of the transfer: pulls {@code strata.internal.Snapshot/Fetch} from the leader's client
 * port into a fresh backend of the follower's own engine and verifies it
 * ({@link LogicalSnapshot#read}). The blocking iterator gives flow control for free: the leader sends
 * no faster than this engine writes.
 */
public final class SnapshotFetcher {

  /** Pairs per write batch into the fresh backend. */
  static final int BATCH = 10_000;

  private SnapshotFetcher() {}

  /** Fetches the leader's snapshot into {@code target} (empty), verified; returns what it holds. */
  public static SnapshotHeader fetch(Channel leader, Backend target, long deadlineMillis) throws IOException {
    // a refused stream (bad hash, engine error) must end the leader's send now, not at the deadline
    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    try {
      Iterator<byte[]> chunks = ClientCalls.blockingServerStreamingCall(leader, RawBytes.FETCH,
          CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS), new byte[0]);
      try (InputStream in = new ChunkStream(chunks)) {
        return LogicalSnapshot.read(in, target, BATCH);
      }
    } finally {
      call.detach(previous);
      call.cancel(null);
    }
  }

  /** The chunks as one byte stream. */
  private static final class ChunkStream extends InputStream {
    private final Iterator<byte[]> chunks;
    private byte[] current = new byte[0];
    private int pos;

    ChunkStream(Iterator<byte[]> chunks) {
      this.chunks = chunks;
    }

    private boolean fill() {
      while (pos == current.length) {
        if (!chunks.hasNext()) {
          return false;
        }
        current = chunks.next();
        pos = 0;
      }
      return true;
    }

    @Override
    public int read() {
      return fill() ? current[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
