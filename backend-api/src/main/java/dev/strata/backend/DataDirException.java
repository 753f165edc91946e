package dev.strata.backend;

/**
 * A data directory cannot be used as asked: not a directory, not writable, created by another engine,
 * or of an unknown format. The message is one line meant for an operator.
 */
public class DataDirException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public DataDirException(String message) {
    super(message);
  }

  public DataDirException(String message, Throwable cause) {
    super(message, cause);
  }
}
