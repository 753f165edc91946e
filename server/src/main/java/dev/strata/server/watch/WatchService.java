package dev.strata.server.watch;

import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Objects;

/**
 * The {@code etcdserverpb.Watch} gRPC service: each bidirectional Watch call is one
 * {@link WatchStream}. Flow control is gRPC's: responses are written only while the call
 * {@code isReady()}, and the on-ready handler resumes sending, so a slow client fills its own queue
 * (and becomes a victim) instead of server memory or the apply thread.
 *
 * <p>As in etcd, the client half-closing its side does not end the stream (events keep flowing until
 * the client cancels the call); a cancelled or failed call closes the stream and its watchers.
 */
public final class WatchService extends WatchGrpc.WatchImplBase {

  private final WatchHub hub;
  private final HeaderFiller headers;

  /**
   * @param headers fills cluster_id, member_id, raft_term and the given revision (0 kept as 0)
   */
  public WatchService(WatchHub hub, HeaderFiller headers) {
    this.hub = Objects.requireNonNull(hub, "hub");
    this.headers = Objects.requireNonNull(headers, "headers");
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> call = (ServerCallStreamObserver<WatchResponse>) responses;
    // Handlers must be set before this method returns (grpc-java rule): openStream sets onReady.
    WatchStream stream = hub.openStream(new GrpcSink(call), headers);
    call.setOnCancelHandler(stream::close);
    return new StreamObserver<>() {
      @Override
      public void onNext(WatchRequest request) {
        stream.handle(request);
      }

      @Override
      public void onError(Throwable t) {
        stream.close();
      }

      @Override
      public void onCompleted() {
        // etcd's recvLoop returns on EOF but its sendLoop goes on: keep serving the watchers.
      }
    };
  }

  /** A {@link WatchSink} over a server call; sends happen on one send thread at a time. */
  private static final class GrpcSink implements WatchSink {
    private final ServerCallStreamObserver<WatchResponse> call;

    GrpcSink(ServerCallStreamObserver<WatchResponse> call) {
      this.call = call;
    }

    @Override
    public void send(WatchResponse response) {
      call.onNext(response);
    }

    @Override
    public boolean isReady() {
      return call.isReady() && !call.isCancelled();
    }

    @Override
    public void setOnReady(Runnable onReady) {
      call.setOnReadyHandler(onReady);
    }
  }
}
