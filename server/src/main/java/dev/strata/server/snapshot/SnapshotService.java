package dev.strata.server.snapshot;

import dev.strata.backend.ReadView;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader side of snapshot catch-up, served on the member's client port as
 * {@code strata.internal.Snapshot/Fetch}: writes one read view of the backend as a
 * {@link LogicalSnapshot} into a spool file, then streams that file in chunks as fast as the follower
 * reads (gRPC flow control via {@code onReady}). Spooling keeps the read view — which pins engine
 * pages or an LSM snapshot — open only as long as reading the content takes, not as long as the
 * follower's network and engine take to absorb it.
 */
public final class SnapshotService implements BindableService {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotService.class);

  private final Supplier<ReadView> views;
  private final Path spoolDir;
  private final Executor executor;

  /**
   * @param views a consistent read view of this member's backend (META holds its applied index)
   * @param spoolDir where spool files go (deleted after each transfer)
   * @param executor runs the spooling off the gRPC event loop
   */
  public SnapshotService(Supplier<ReadView> views, Path spoolDir, Executor executor) {
    this.views = views;
    this.spoolDir = spoolDir;
    this.executor = executor;
    // no transfer runs yet: whatever is there was left by a crash during a transfer
    BackendSwap.deleteTree(spoolDir);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return definition();
  }

  public ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(RawBytes.SERVICE)
        .addMethod(RawBytes.FETCH, ServerCalls.asyncServerStreamingCall(this::fetch))
        .build();
  }

  private void fetch(byte[] request, StreamObserver<byte[]> responses) {
    ServerCallStreamObserver<byte[]> out = (ServerCallStreamObserver<byte[]>) responses;
    // gRPC accepts these handlers only during this initial call, not later from the spooling thread
    Sender sender = new Sender(out);
    out.setOnCancelHandler(() -> sender.finish(null));
    out.setOnReadyHandler(sender);
    executor.execute(() -> {
      Path spool = null;
      try {
        Files.createDirectories(spoolDir);
        spool = Files.createTempFile(spoolDir, "snapshot-", ".spool");
        SnapshotHeader header;
        try (ReadView view = views.get();
            OutputStream file = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
          header = LogicalSnapshot.write(view, file);
        }
        LOG.info("snapshot spooled for a follower: {} bytes={}", header, Files.size(spool));
        sender.open(spool);
      } catch (IOException | RuntimeException e) {
        LOG.warn("snapshot spool failed: error=\"{}\"", e.toString());
        sender.fail(spool, e);
        return;
      }
      sender.run(); // the handler fires only on a change of readiness: the stream may already be ready
    });
  }

  /** Sends the spool file chunk by chunk whenever the transport is ready; deletes it at the end. */
  private static final class Sender implements Runnable {
    private final ServerCallStreamObserver<byte[]> out;
    private Path spool;
    private InputStream in;
    private boolean done;

    Sender(ServerCallStreamObserver<byte[]> out) {
      this.out = out;
    }

    synchronized void open(Path file) throws IOException {
      spool = file;
      if (done) {
        finish(null); // cancelled while spooling: just delete the file
        return;
      }
      in = Files.newInputStream(file);
    }

    synchronized void fail(Path file, Exception error) {
      spool = file;
      finish(error);
    }

    @Override
    public synchronized void run() {
      try {
        while (!done && in != null && out.isReady()) {
          byte[] chunk = in.readNBytes(RawBytes.CHUNK);
          if (chunk.length == 0) {
            finish(null);
            out.onCompleted();
            return;
          }
          out.onNext(chunk);
        }
      } catch (IOException | RuntimeException e) {
        finish(e);
      }
    }

    synchronized void finish(Exception error) {
      boolean first = !done;
      done = true;
      try {
        if (in != null) {
          in.close();
          in = null;
        }
        if (spool != null) {
          Files.deleteIfExists(spool);
        }
      } catch (IOException e) {
        LOG.warn("cannot delete snapshot spool: file={} error=\"{}\"", spool, e.toString());
      }
      if (first && error != null) {
        out.onError(Status.INTERNAL.withDescription("snapshot send failed: " + error).asRuntimeException());
      }
    }
  }
}
