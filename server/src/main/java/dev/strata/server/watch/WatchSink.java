package dev.strata.server.watch;

import io.etcd.jetcd.api.WatchResponse;

/**
 * Where a {@link WatchStream} sends its responses: a transport-neutral view of a gRPC server stream
 * with flow control. The stream calls {@link #send} from one thread at a time, only while
 * {@link #isReady} is true (a response split into fragments is sent whole).
 */
public interface WatchSink {

  /** Sends one response without blocking. May throw if the transport is gone; the stream then closes. */
  void send(WatchResponse response);

  /** False while the transport's send buffer is full: the stream stops sending and waits. */
  boolean isReady();

  /**
   * Registers the callback to run when {@link #isReady} turns true again after being false. Called
   * once, while the stream is being opened.
   */
  void setOnReady(Runnable onReady);
}
