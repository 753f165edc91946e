package dev.strata.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where the server module, its build output and the test scratch space live. */
final class ItPaths {
  private static Path snapshot;

  private ItPaths() {}

  /**
   * The server jar to launch: by default a private copy (with its lib/) taken once per test JVM
   * under {@code target/it-dist/}, because a concurrent {@code mvn package} rewrites target/ under a
   * running member, which then fails on its next class load. {@code -Dstrata.it.snapshotJars=false}
   * launches from target/ directly.
   */
  static synchronized Path launchJar() {
    if (!Boolean.parseBoolean(System.getProperty("strata.it.snapshotJars", "true"))) {
      return serverJar();
    }
    if (snapshot == null) {
      Path jar = serverJar();
      Path dir = targetDir().resolve("it-dist").resolve("run-" + ProcessHandle.current().pid());
      try {
        Files.createDirectories(dir.resolve("lib"));
        try (Stream<Path> libs = Files.list(jar.getParent().resolve("lib"))) {
          for (Path lib : (Iterable<Path>) libs::iterator) {
            Files.copy(lib, dir.resolve("lib").resolve(lib.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          }
        }
        snapshot = Files.copy(jar, dir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot copy " + jar + " and its lib/ to " + dir, e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
    }
    return snapshot;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort at JVM exit; target/ is disposable
    }
  }

  /** The server module dir: {@code -Dstrata.server.dir}, else the working dir (failsafe runs in it). */
  static Path serverDir() {
    String configured = System.getProperty("strata.server.dir");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    Path cwd = Path.of("").toAbsolutePath();
    if (Files.isDirectory(cwd.resolve("src/main/java/dev/strata/server"))) {
      return cwd;
    }
    if (Files.isDirectory(cwd.resolve("server/src/main/java/dev/strata/server"))) {
      return cwd.resolve("server");
    }
    return cwd;
  }

  static Path targetDir() {
    return serverDir().resolve("target");
  }

  /** The packaged server jar (not the tests or sources jar), with a clear message when missing. */
  static Path serverJar() {
    Path target = targetDir();
    try (Stream<Path> files = Files.list(target)) {
      return files.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith("server-") && n.endsWith(".jar") && !n.endsWith("-tests.jar")
            && !n.endsWith("-sources.jar");
      }).findFirst().filter(p -> Files.isDirectory(target.resolve("lib"))).orElseThrow(() ->
          new IllegalStateException("no server jar plus lib/ in " + target
              + "; build it first: cd /work/main && mvn -B -q package -pl server -DskipTests"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + target, e);
    }
  }
}
