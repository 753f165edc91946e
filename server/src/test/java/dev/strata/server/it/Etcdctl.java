package dev.strata.server.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code etcdctl} (API v3) against one endpoint and captures what it printed. */
public final class Etcdctl {
  static final Path ETCDCTL = Path.of(System.getProperty("strata.it.etcdctl", "/usr/bin/etcdctl"));
  private static final long TIMEOUT_SECONDS = 60;

  /** One finished invocation. */
  public record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit=" + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  private final String endpoints;

  public Etcdctl(String endpoints) {
    this.endpoints = endpoints;
  }

  public Etcdctl(ServerProcess member) {
    this(member.endpoint());
  }

  public Result run(String... args) {
    return runWithInput(null, args);
  }

  /** Runs with {@code stdin} (may be null) fed to the process, e.g. for the txn command. */
  public Result runWithInput(String stdin, String... args) {
    var cmd = new ArrayList<String>();
    cmd.add(ETCDCTL.toString());
    cmd.add("--endpoints=" + endpoints);
    cmd.addAll(Arrays.asList(args));
    var pb = new ProcessBuilder(cmd);
    pb.environment().put("ETCDCTL_API", "3");
    try {
      Process p = pb.start();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("etcdctl " + List.of(args) + " still running after "
            + TIMEOUT_SECONDS + " s");
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + cmd, e);
    }
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, task -> {
      // One thread per stream: a shared pool could leave stderr undrained and block etcdctl.
      var t = new Thread(task, "etcdctl-drain");
      t.setDaemon(true);
      t.start();
    });
  }
}
