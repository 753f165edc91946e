package dev.strata.backend;

/**
 * An engine could not do what it was asked because of an I/O or engine error (disk full, corrupted
 * file, failed fsync). The state the backend holds can no longer be trusted to follow the Raft log:
 * the member must stop and let Raft replay after a restart.
 */
public class BackendFailureException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public BackendFailureException(String message, Throwable cause) {
    super(message, cause);
  }

  public BackendFailureException(String message) {
    super(message);
  }
}
