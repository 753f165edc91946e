package dev.strata.server.concurrency;

import dev.strata.server.EtcdException;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How the Lock and Election services answer: etcd's v3lock/v3election handlers return the clientv3
 * error as a plain Go error, so every failure reaches the client as gRPC UNKNOWN with etcd's text
 * (e.g. "etcdserver: requested lease not found", "election: not leader").
 */
public final class Replies {

  private Replies() {}

  /** A context cancelled when the gRPC call is (client gone or deadline passed). */
  public static CallContext contextOf(StreamObserver<?> observer) {
    CallContext ctx = new CallContext();
    if (observer instanceof ServerCallStreamObserver<?> call) {
      call.setOnCancelHandler(ctx::cancel); // must be set before the handler returns (grpc-java)
    }
    return ctx;
  }

  public static Status toStatus(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof CancellationException) {
      return Status.CANCELLED.withDescription("context canceled");
    }
    String message = t instanceof EtcdException e ? e.error().message() : String.valueOf(t.getMessage());
    return Status.UNKNOWN.withDescription(message);
  }

  /** Answers a unary call; nothing is sent to a client that already went away. */
  public static <T> void complete(StreamObserver<T> observer, CallContext ctx, T response, Throwable err) {
    if (ctx.isCancelled()) {
      return;
    }
    if (err != null) {
      observer.onError(toStatus(err).asRuntimeException());
    } else {
      observer.onNext(response);
      observer.onCompleted();
    }
  }
}
