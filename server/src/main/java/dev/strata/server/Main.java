package dev.strata.server;

import dev.strata.backend.DataDirException;
import dev.strata.server.api.ClientServer;
import dev.strata.server.config.EnvDefaults;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.config.ServerOptions;
import dev.strata.server.config.Version;
import dev.strata.server.etcdserver.Member;
import dev.strata.server.raft.Halt;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code strata}: runs one etcd-compatible member. With no flags, a single member on localhost:2379. */
@Command(name = "strata", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
    sortOptions = false, showDefaultValues = true, customSynopsis = "strata [OPTIONS]",
    description = "Strata: an etcd v3 compatible key-value server with pluggable storage engines.")
public final class Main implements Callable<Integer> {

  @Mixin
  ServerOptions options;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    CommandLine cli = new CommandLine(new Main())
        .setDefaultValueProvider(new EnvDefaults(System.getenv()))
        .setCaseInsensitiveEnumValuesAllowed(true);
    // One line, not a usage dump: scripts and launchers read the first line of stderr.
    cli.setParameterExceptionHandler((ex, a) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("strata: " + ex.getMessage() + " (see 'strata --help')");
      err.flush();
      return 2;
    });
    return cli.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    ServerConfig cfg;
    try {
      cfg = options.toConfig();
    } catch (IllegalArgumentException e) {
      System.err.println("strata: " + e.getMessage());
      return 2;
    }
    configureLogging(cfg.logLevel());
    Logger log = LoggerFactory.getLogger(Main.class);
    log.info("starting strata: version={} etcdApi={} name={} dataDir={} backend={} java={}", Version.strata(),
        Version.ETCD_API, cfg.name(), cfg.dataDir(), cfg.backend(), System.getProperty("java.version"));
    Member member;
    try {
      // etcd's removed member exits 0; System.exit runs the shutdown hook below, so not on a thread it waits for
      member = Member.start(cfg, Halt.process(), () -> new Thread(() -> System.exit(0), "strata-exit").start());
    } catch (DataDirException | IllegalArgumentException e) {
      System.err.println("strata: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      // e.g. the peer port is taken: Ratis wraps the bind error; name the root cause on one line
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      System.err.println("strata: cannot start raft on " + cfg.listenPeerUrls() + ": " + root.getMessage());
      return 1;
    }
    ClientServer clients;
    try {
      member.awaitReady();
      clients = ClientServer.start(member.server(), java.util.List.of(member.snapshotService()));
      publish(member.server(), 1);
    } catch (Exception e) {
      System.err.println("strata: " + e.getMessage());
      member.close();
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("received shutdown signal");
      clients.close();
      member.close();
      stopped.countDown();
    }, "strata-shutdown"));
    // etcd's wording: launchers and tests wait for this line.
    log.info("ready to serve client requests: clientUrls={} memberId={} clusterId={}", cfg.listenClientUrls(),
        Long.toHexString(member.server().identity().memberId()),
        Long.toHexString(member.server().identity().clusterId()));
    stopped.await();
    return 0;
  }

  /**
   * Publishes name and client URLs through Raft so every member lists them; like etcd's publish it
   * retries (here once a second, up to a minute) while no leader can commit it.
   */
  private static void publish(dev.strata.server.etcdserver.EtcdServer server, int attempt) {
    server.publishAttributes().whenComplete((v, err) -> {
      if (err == null) {
        LoggerFactory.getLogger(Main.class).info("published member attributes: attempt={}", attempt);
      } else if (attempt < 60) {
        CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> publish(server, attempt + 1));
      } else {
        LoggerFactory.getLogger(Main.class).warn("cannot publish member attributes: error=\"{}\"", err.toString());
      }
    });
  }

  /** slf4j-simple reads these once, when the first logger is created: set them before that. */
  private static void configureLogging(String level) {
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level);
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    // Ratis logs every election and segment roll at INFO; keep it to warnings unless debugging.
    setIfAbsent("org.slf4j.simpleLogger.log.org.apache.ratis", level.equals("debug") ? "info" : "warn");
    // the readiness line is a contract with launchers: always printed
    setIfAbsent("org.slf4j.simpleLogger.log.dev.strata.server.Main", "info");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** {@code --version}: Strata's version and the etcd API it implements. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
          "strata Version: " + Version.strata(),
          "etcd API Version: " + Version.ETCD_API,
          "Java Version: " + System.getProperty("java.version"),
      };
    }
  }
}
