package dev.strata.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** A request failed with one of etcd's client-visible errors; the member itself is fine. */
public final class EtcdException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final EtcdError error;

  public EtcdException(EtcdError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public EtcdError error() {
    return error;
  }

  public Status status() {
    return error.status();
  }

  /** The form a gRPC handler passes to {@code onError}. */
  public StatusRuntimeException toStatusException() {
    return error.status().asRuntimeException();
  }
}
