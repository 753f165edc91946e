package dev.strata.server.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * One etcd-compatible member running as a child process on loopback ports, with its own data dir.
 * Output (stdout and stderr) goes to a log file under {@code target/it-logs}; startup waits for the
 * ready line and, on failure, the exception carries the log tail. Subclasses only say how to build
 * the command line. Not thread-safe: one test thread drives a process.
 */
public abstract class ServerProcess implements AutoCloseable {
  static final String READY_LINE = "ready to serve client requests";
  private static final int TAIL_LINES = 60;
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    // A failing or interrupted test JVM must not leave members behind.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
  }

  private final String name;
  private final Path dataDir;
  private final Path logFile;
  private int clientPort;
  private int peerPort;
  private Process process;
  private Thread pump;
  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private int starts;

  protected ServerProcess(String name) {
    this.name = name;
    try {
      Path root = ItPaths.targetDir();
      Files.createDirectories(root.resolve("it-data"));
      Files.createDirectories(root.resolve("it-logs"));
      this.dataDir = Files.createTempDirectory(root.resolve("it-data"), name + "-");
      this.logFile = root.resolve("it-logs").resolve(dataDir.getFileName() + ".log");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The command line; ports and data dir come from the getters. */
  protected abstract List<String> command();

  /** How long to wait for the ready line. */
  protected abstract Duration startTimeout();

  /** Starts on fresh free ports, retrying (bounded) if another process took a port meanwhile. */
  protected final void startFresh() {
    for (int attempt = 1; ; attempt++) {
      clientPort = FreePorts.next();
      peerPort = FreePorts.next();
      try {
        launch();
        return;
      } catch (IllegalStateException e) {
        boolean bindRace = tailText().toLowerCase().contains("address already in use");
        if (!bindRace || attempt >= 3) {
          throw e;
        }
        deleteDataDirContents();
      }
    }
  }

  /** Starts again on the same data dir and ports (after {@link #kill9()} or {@link #stop()}). */
  public final void restart() {
    if (isAlive()) {
      throw new IllegalStateException(name + " is still running");
    }
    launch();
  }

  /** SIGKILL ({@link Process#destroyForcibly()} on Linux), then waits for the exit. */
  public final void kill9() {
    Process p = process;
    p.destroyForcibly();
    awaitExit(p, Duration.ofSeconds(30));
  }

  /** SIGTERM, then SIGKILL if the member has not exited within 15 s. */
  public final void stop() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    awaitExit(p, Duration.ofSeconds(30));
  }

  @Override
  public final void close() {
    stop();
    if (!Boolean.getBoolean("strata.it.keepData")) {
      deleteDataDirContents();
      try {
        Files.deleteIfExists(dataDir);
      } catch (IOException ignored) {
        // best effort: target/ is cleaned by mvn clean anyway
      }
    }
  }

  public final boolean isAlive() {
    return process != null && process.isAlive();
  }

  public final String name() {
    return name;
  }

  public final int clientPort() {
    return clientPort;
  }

  public final int peerPort() {
    return peerPort;
  }

  public final String clientUrl() {
    return "http://127.0.0.1:" + clientPort;
  }

  public final String peerUrl() {
    return "http://127.0.0.1:" + peerPort;
  }

  /** host:port, as etcdctl's --endpoints wants it. */
  public final String endpoint() {
    return "127.0.0.1:" + clientPort;
  }

  public final Path dataDir() {
    return dataDir;
  }

  public final Path logFile() {
    return logFile;
  }

  /** The last lines of output, for failure messages. */
  public final String tailText() {
    synchronized (tail) {
      return String.join("\n", tail);
    }
  }

  @Override
  public String toString() {
    return name + "@" + endpoint();
  }

  private void launch() {
    starts++;
    var ready = new CompletableFuture<Void>();
    List<String> cmd = command();
    Process p;
    try {
      Files.writeString(logFile, "=== start " + starts + ": " + String.join(" ", cmd) + "\n",
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + cmd, e);
    }
    process = p;
    LIVE.add(p);
    p.onExit().thenRun(() -> LIVE.remove(p));
    pump = new Thread(() -> pumpOutput(p, ready), name + "-output");
    pump.setDaemon(true);
    pump.start();
    try {
      ready.get(startTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      p.destroyForcibly();
      awaitExit(p, Duration.ofSeconds(30));
      String why = e instanceof TimeoutException
          ? "no '" + READY_LINE + "' within " + startTimeout().toSeconds() + " s"
          : e.getCause().getMessage();
      throw new IllegalStateException(name + " failed to start (" + why + "); log " + logFile
          + ", last lines:\n" + tailText());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + name, e);
    }
  }

  private void pumpOutput(Process p, CompletableFuture<Void> ready) {
    try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
         Writer log = Files.newBufferedWriter(logFile, StandardOpenOption.APPEND)) {
      for (String line; (line = in.readLine()) != null; ) {
        log.write(line);
        log.write('\n');
        log.flush();
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
        }
        if (!ready.isDone() && line.contains(READY_LINE)) {
          ready.complete(null);
        }
      }
    } catch (IOException e) {
      ready.completeExceptionally(e);
    }
    int code = p.onExit().join().exitValue();
    ready.completeExceptionally(new IllegalStateException("exited with code " + code));
  }

  private void awaitExit(Process p, Duration timeout) {
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " did not exit within " + timeout);
      }
      pump.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name + " to exit", e);
    }
  }

  private void deleteDataDirContents() {
    if (!Files.isDirectory(dataDir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dataDir)) {
      paths.sorted(Comparator.reverseOrder()).filter(path -> !path.equals(dataDir)).forEach(path -> {
        try {
          Files.delete(path);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
