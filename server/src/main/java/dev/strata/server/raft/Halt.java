package dev.strata.server.raft;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the member when it can no longer apply: a storage or apply failure must stop rather than let
 * the member diverge from the log (the log replays after a restart). Tests substitute their own.
 */
@FunctionalInterface
public interface Halt {

  void halt(String reason, Throwable cause);

  /** Logs one line and ends the process at once: shutdown hooks could block on the failed apply thread. */
  static Halt process() {
    return (reason, cause) -> {
      Logger log = LoggerFactory.getLogger(Halt.class);
      log.error("halting member: reason=\"{}\" cause=\"{}\"", reason, cause, cause);
      System.err.flush();
      Runtime.getRuntime().halt(2);
    };
  }
}
