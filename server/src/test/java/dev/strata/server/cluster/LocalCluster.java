package dev.strata.server.cluster;

import dev.strata.server.it.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A static cluster of Strata member processes on loopback. The single-member launchers in the it
 * package pick their ports at start and wait for readiness one by one, which a cluster cannot do: every
 * member must know all peer URLs up front, and none is ready before a quorum runs.
 */
final class LocalCluster implements AutoCloseable {
  static final String READY_LINE = "ready to serve client requests";
  static final String PUBLISHED_LINE = "published member attributes";
  /** Ratis' log segment files: log_inprogress_START, log_START-END. */
  private static final java.util.regex.Pattern SEGMENT =
      java.util.regex.Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-\\d+)?");

  /** One member: fixed ports and data dir, so it can be killed and restarted in place. */
  static final class Node {
    final String name;
    final String engine;
    final int clientPort = FreePorts.next();
    int peerPort = FreePorts.next();
    final Path dataDir;
    final Path log;
    private Process process;
    private int starts;

    Node(String name, String engine, Path root) throws IOException {
      this.name = name;
      this.engine = engine;
      this.dataDir = Files.createTempDirectory(root, name + "-");
      this.log = root.resolve(dataDir.getFileName() + ".log");
    }

    String clientUrl() {
      return "http://127.0.0.1:" + clientPort;
    }

    String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    /** The exit code of the member's last process, once it ended. */
    int exitCode() {
      return process.exitValue();
    }

    void kill9() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Graceful stop (SIGTERM: the member closes Raft and its store); kill -9 if not gone in 30 s. */
    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill9();
      }
    }

    long pid() {
      return process.pid();
    }

    /** SIGSTOP: the process stays alive but does nothing, as in a long GC pause or a partition. */
    void pause() throws Exception {
      signal("-STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume() throws Exception {
      signal("-CONT");
    }

    private void signal(String sig) throws Exception {
      Process kill = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new AssertionError("kill " + sig + " " + process.pid() + " failed");
      }
    }

    /**
     * The first index of this member's Raft log on disk (the smallest start of a segment file): the
     * log below it was purged, so a member that needs it must install a snapshot.
     */
    long firstLogIndex() {
      try (Stream<Path> files = Files.walk(dataDir.resolve("member").resolve("raft"))) {
        return files.map(p -> SEGMENT.matcher(p.getFileName().toString()))
            .filter(java.util.regex.Matcher::matches)
            .mapToLong(m -> Long.parseLong(m.group(1)))
            .min().orElse(0);
      } catch (IOException | UncheckedIOException e) {
        return 0; // a segment renamed or deleted while listing: look again
      }
    }

    String logText() {
      try {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
      } catch (IOException e) {
        return "";
      }
    }

    @Override
    public String toString() {
      return name + "(" + engine + ", " + clientUrl() + ")";
    }
  }

  private final List<Node> nodes = new ArrayList<>();
  private final Path jar;
  private final Path root;

  private final List<String> flags;

  private LocalCluster(Path jar, Path root, List<String> flags) {
    this.jar = jar;
    this.root = root;
    this.flags = List.copyOf(flags);
  }

  /** Starts one member per engine ("btree"/"lsm") and waits until each serves and has published. */
  static LocalCluster start(String... engines) throws Exception {
    return start(List.of(), engines);
  }

  /**
   * Like {@link #start(String...)}, every member (also those added later) launched with {@code flags}
   * too, e.g. a small --snapshot-count.
   */
  static LocalCluster start(List<String> flags, String... engines) throws Exception {
    Path target = Path.of("").toAbsolutePath().resolve("target");
    if (!Files.isDirectory(target.resolve("lib"))) {
      target = Path.of("").toAbsolutePath().resolve("server/target");
    }
    Path root = Files.createDirectories(target.resolve("it-data"));
    Path jar;
    try (Stream<Path> files = Files.list(target)) {
      jar = files.filter(p -> p.getFileName().toString().matches("server-.*\\.jar")
          && !p.toString().endsWith("-tests.jar") && !p.toString().endsWith("-sources.jar"))
          .findFirst().orElseThrow(() -> new IllegalStateException("no server jar in target/: mvn package first"));
    }
    LocalCluster c = new LocalCluster(privateCopy(jar, target), root, flags);
    for (int i = 0; i < engines.length; i++) {
      c.nodes.add(new Node("m" + (i + 1), engines[i], root));
    }
    try {
      for (Node n : c.nodes) {
        c.launch(n);
      }
      for (Node n : c.nodes) {
        awaitLine(n, PUBLISHED_LINE, 1, c.nodes);
      }
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
    return c;
  }

  private static Path privateCopy;

  /**
   * A copy of the jar and lib/ per test JVM (as the it package's launchers do): a concurrent
   * {@code mvn package} rewrites target/ under running members, which then fail to load classes.
   */
  private static synchronized Path privateCopy(Path jar, Path target) throws IOException {
    if (privateCopy == null) {
      Path dir = Files.createDirectories(target.resolve("it-dist").resolve("cluster-" + ProcessHandle.current().pid()));
      Files.createDirectories(dir.resolve("lib"));
      try (Stream<Path> libs = Files.list(jar.getParent().resolve("lib"))) {
        for (Path lib : (Iterable<Path>) libs::iterator) {
          Files.copy(lib, dir.resolve("lib").resolve(lib.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      privateCopy = Files.copy(jar, dir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
          // best effort at JVM exit; target/ is disposable
        }
      }));
    }
    return privateCopy;
  }

  List<Node> nodes() {
    return nodes;
  }

  String endpoints() {
    return nodes.stream().filter(Node::alive).map(Node::clientUrl).collect(Collectors.joining(","));
  }

  /**
   * Restarts stopped members together, then waits until each serves: a member serves only once a
   * quorum runs, so restarting them one by one would wait forever when a quorum needs several.
   */
  void restartAll(List<Node> stopped) throws Exception {
    for (Node n : stopped) {
      launch(n);
    }
    for (Node n : stopped) {
      awaitLine(n, READY_LINE, n.starts, stopped);
    }
  }

  /** Restarts a killed or stopped member on its data dir and waits until it serves again. */
  void restart(Node n) throws Exception {
    launch(n);
    awaitLine(n, READY_LINE, n.starts, List.of(n));
  }

  /**
   * Stops {@code n} and starts it again on a new peer port with its data dir, as an operator moves a
   * member after {@code etcdctl member update} to its new URL; waits until it serves.
   */
  void movePeerPort(Node n, int port) throws Exception {
    stop(n);
    n.peerPort = port;
    restart(n);
  }

  /**
   * A new member (not started, not in the cluster yet): ports and data dir reserved, so its peer URL can
   * go into {@code etcdctl member add}.
   */
  Node newNode(String name, String engine) throws IOException {
    Node n = new Node(name, engine, root);
    nodes.add(n);
    return n;
  }

  /**
   * Starts a member added with {@code member add} as etcd's printout says: --initial-cluster as given
   * (ETCD_INITIAL_CLUSTER) and --initial-cluster-state existing; waits until it serves.
   */
  void join(Node n, String initialCluster) throws Exception {
    launch(n, initialCluster, List.of("--initial-cluster-state", "existing"));
    awaitLine(n, READY_LINE, n.starts, List.of(n));
  }

  /** Stops a member gracefully (SIGTERM) and waits for it to exit. */
  void stop(Node n) throws InterruptedException {
    n.process.destroy();
    if (!n.process.waitFor(30, TimeUnit.SECONDS)) {
      n.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private void launch(Node n) throws IOException {
    launch(n, nodes.stream().map(m -> m.name + "=" + m.peerUrl()).collect(Collectors.joining(",")), List.of());
  }

  private void launch(Node n, String initial, List<String> extra) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(dev.strata.server.it.MemberJvm.options());
    cmd.addAll(List.of("-Xmx384m",
        "-cp", jar + ":" + jar.getParent().resolve("lib") + "/*", "dev.strata.server.Main",
        "--name", n.name, "--data-dir", n.dataDir.toString(), "--backend", n.engine,
        "--listen-client-urls", n.clientUrl(), "--advertise-client-urls", n.clientUrl(),
        "--listen-peer-urls", n.peerUrl(), "--initial-advertise-peer-urls", n.peerUrl(),
        "--initial-cluster", initial, "--initial-cluster-token", "strata-cluster-it"));
    cmd.addAll(flags);
    cmd.addAll(extra);
    n.process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile())).start();
    n.starts++;
  }

  /**
   * Waits until {@code line} appears {@code times} times in the member's log (once per start); fails
   * at once if any of {@code mustLive} exited (e.g. a port taken by another process).
   */
  private static void awaitLine(Node n, String line, int times, List<Node> mustLive) {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (count(n.logText(), line) < times) {
      for (Node m : mustLive) {
        if (!m.alive()) {
          throw new AssertionError(m + " exited during start; log tail:\n" + tail(m.logText()));
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(n + " did not log '" + line + "'; log tail:\n" + tail(n.logText()));
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  private static int count(String text, String line) {
    int c = 0;
    for (int i = text.indexOf(line); i >= 0; i = text.indexOf(line, i + 1)) {
      c++;
    }
    return c;
  }

  static String tail(String text) {
    return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      if (n.alive()) {
        try {
          n.resume(); // a paused member would ignore SIGTERM until continued
        } catch (Exception | AssertionError ignored) {
          // it exits anyway: destroyForcibly below
        }
        n.process.destroy();
      }
    }
    for (Node n : nodes) {
      try {
        if (n.process != null && !n.process.waitFor(15, TimeUnit.SECONDS)) {
          n.process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        n.process.destroyForcibly();
      }
    }
  }
}
