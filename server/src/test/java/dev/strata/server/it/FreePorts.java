package dev.strata.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Free loopback TCP ports for test servers. A port is handed out at most once per JVM, so two
 * servers started by the same test never race for one; other processes can still take a port
 * between here and the server's bind, which {@link ServerProcess} answers by retrying on new ports.
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  private FreePorts() {}

  /** Returns a port that was free on 127.0.0.1 a moment ago and not returned before. */
  public static synchronized int next() {
    for (int attempt = 0; attempt < 200; attempt++) {
      try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = socket.getLocalPort();
        if (HANDED_OUT.add(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot probe a free loopback port", e);
      }
    }
    throw new IllegalStateException("no fresh free loopback port after 200 attempts");
  }
}
