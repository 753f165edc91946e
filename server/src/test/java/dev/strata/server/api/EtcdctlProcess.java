package dev.strata.server.api;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A long-running {@code etcdctl} (watch, lock, elect) as a child process: its stdout and stderr are
 * captured as they come, a test waits (bounded, woken by output) for what it expects, and
 * {@link #close} sends SIGTERM, which etcdctl handles (lock unlocks, elect resigns) before exiting.
 */
final class EtcdctlProcess implements AutoCloseable {

  static final String ETCDCTL = System.getProperty("strata.it.etcdctl", "/usr/bin/etcdctl");
  private static final long TIMEOUT_MS = 30_000;

  private final Process process;
  private final StringBuilder out = new StringBuilder();
  private final StringBuilder err = new StringBuilder();
  private final List<Thread> pumps;

  private EtcdctlProcess(Process process) {
    this.process = process;
    this.pumps = List.of(pump(process.getInputStream(), out), pump(process.getErrorStream(), err));
  }

  static EtcdctlProcess start(String endpoint, String... args) {
    List<String> cmd = new ArrayList<>(List.of(ETCDCTL, "--endpoints=" + endpoint));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("ETCDCTL_API", "3");
    try {
      return new EtcdctlProcess(pb.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cmd, e);
    }
  }

  private Thread pump(InputStream in, StringBuilder into) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[4096];
      try (in) {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (this) {
            into.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            notifyAll();
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
      synchronized (this) {
        notifyAll();
      }
    }, "etcdctl-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  synchronized String stdout() {
    return out.toString();
  }

  synchronized String stderr() {
    return err.toString();
  }

  /** Waits until stdout satisfies {@code p}; returns it. */
  synchronized String awaitStdout(Predicate<String> p, String what) {
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (!p.test(out.toString())) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        fail("etcdctl: timed out waiting for " + what + "; stdout:\n" + out + "stderr:\n" + err);
      }
      try {
        wait(Math.min(left, 200)); // also rechecks now and then: a process exit wakes nobody else
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
    return out.toString();
  }

  /**
   * Waits for the process to exit on its own and for its output to be read to the end (the exit can
   * be seen before the pumps read the last lines); returns the exit code.
   */
  int awaitExit() throws InterruptedException {
    if (!process.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      fail("etcdctl did not exit; stdout:\n" + stdout() + "stderr:\n" + stderr());
    }
    for (Thread pump : pumps) {
      pump.join(TIMEOUT_MS);
    }
    return process.exitValue();
  }

  /** SIGTERM and wait for the exit (then SIGKILL if it hangs). */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
