package dev.strata.server.it;

import com.google.protobuf.Message;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.function.Supplier;

/**
 * What one server answered to one request: a response, or a gRPC status code and message (the
 * client-side cause of transport errors is kept for the report, never compared).
 */
record Outcome(Message response, Status.Code code, String message, Throwable cause) {

  Outcome(Message response, Status.Code code, String message) {
    this(response, code, message, null);
  }

  static Outcome of(Supplier<? extends Message> call) {
    try {
      return new Outcome(call.get(), Status.Code.OK, null, null);
    } catch (StatusRuntimeException e) {
      return new Outcome(null, e.getStatus().getCode(), e.getStatus().getDescription(), e.getStatus().getCause());
    }
  }

  boolean ok() {
    return response != null;
  }

  /** The error as etcd clients see it: code and message, compared byte for byte. */
  String error() {
    return code + ": " + message;
  }

  @Override
  public String toString() {
    return ok() ? Protos.brief(response) : "ERROR " + error() + (cause == null ? "" : " (client-side cause: " + cause + ")");
  }
}
