package dev.strata.server.snapshot;

/** A snapshot transfer or install that must not be used: malformed stream, hash mismatch. */
public final class SnapshotException extends RuntimeException {

  public SnapshotException(String message) {
    super(message);
  }

  public SnapshotException(String message, Throwable cause) {
    super(message, cause);
  }
}
