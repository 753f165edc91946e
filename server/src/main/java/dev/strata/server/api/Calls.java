package dev.strata.server.api;

import dev.strata.server.EtcdException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes unary gRPC calls from server futures, turning errors into etcd's gRPC statuses. */
final class Calls {

  private static final Logger LOG = LoggerFactory.getLogger(Calls.class);

  private Calls() {}

  /** Runs {@code call} (which may throw on admission) and answers when its future completes. */
  static <T> void unary(StreamObserver<T> observer, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> f;
    try {
      f = call.get();
    } catch (RuntimeException e) {
      observer.onError(toStatus(e).asRuntimeException());
      return;
    }
    f.whenComplete((resp, err) -> {
      if (err != null) {
        observer.onError(toStatus(err).asRuntimeException());
      } else {
        observer.onNext(resp);
        observer.onCompleted();
      }
    });
  }

  /** A synchronous handler. */
  static <T> void now(StreamObserver<T> observer, Supplier<T> call) {
    unary(observer, () -> CompletableFuture.completedFuture(call.get()));
  }

  static Status toStatus(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof EtcdException e) {
      return e.status();
    }
    // etcd sends internal errors missing from its map as UNKNOWN with their text.
    LOG.warn("request failed: error=\"{}\"", t.toString(), t);
    return Status.UNKNOWN.withDescription(String.valueOf(t.getMessage()));
  }
}
