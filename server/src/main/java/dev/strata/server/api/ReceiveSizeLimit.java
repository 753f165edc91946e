package dev.strata.server.api;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * etcd's gRPC receive limit ({@code --max-request-bytes} + 512 KiB) with etcd's wording. grpc-java
 * words the same RESOURCE_EXHAUSTED differently from grpc-go, and clients match etcd's errors by
 * message, so the transport's own limit is set higher and this interceptor enforces the real one:
 * {@code grpc: received message larger than max (N vs. M)}.
 */
final class ReceiveSizeLimit implements ServerInterceptor {

  /** The transport still refuses anything this much above the limit before buffering it whole. */
  static final int TRANSPORT_SLACK_BYTES = 64 * 1024 * 1024;

  private final int maxBytes;

  ReceiveSizeLimit(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  int transportLimit() {
    return maxBytes + TRANSPORT_SLACK_BYTES;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean rejected;

      @Override
      public void onMessage(Q message) {
        if (rejected) {
          return;
        }
        int size = message instanceof MessageLite m ? m.getSerializedSize() : 0;
        if (size > maxBytes) {
          rejected = true;
          call.close(Status.RESOURCE_EXHAUSTED.withDescription(
              "grpc: received message larger than max (" + size + " vs. " + maxBytes + ")"), new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!rejected) { // the call is closed already: the handler must not answer it again
          super.onHalfClose();
        }
      }

      @Override
      public void onReady() {
        if (!rejected) {
          super.onReady();
        }
      }
    };
  }
}
