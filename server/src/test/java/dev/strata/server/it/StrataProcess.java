package dev.strata.server.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A single-member Strata server ({@code dev.strata.server.Main}) as a child JVM, launched from the
 * packaged jar plus {@code target/lib/*} (a per-JVM copy, see {@link ItPaths#launchJar()}) as
 * {@code bin/strata} would, on a chosen engine.
 * Extra JVM options: {@code -Dstrata.it.jvmArgs="..."} (default {@code -Xmx1g}).
 */
public final class StrataProcess extends ServerProcess {
  private final String backend;
  private final List<String> extraArgs;

  private StrataProcess(String backend, List<String> extraArgs) {
    super("strata-" + backend);
    this.backend = backend;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts a fresh member on {@code backend} ("btree" or "lsm") and waits until it serves. */
  public static StrataProcess start(String backend, String... extraArgs) {
    var member = new StrataProcess(backend, Arrays.asList(extraArgs));
    member.startFresh();
    return member;
  }

  public String backend() {
    return backend;
  }

  @Override
  protected List<String> command() {
    Path jar = ItPaths.launchJar();
    Path lib = jar.getParent().resolve("lib");
    var cmd = new ArrayList<String>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(MemberJvm.options());
    cmd.addAll(Arrays.asList(System.getProperty("strata.it.jvmArgs", "-Xmx1g").trim().split("\\s+")));
    cmd.addAll(List.of("-cp", jar + ":" + lib + "/*", "dev.strata.server.Main",
        "--name", "default", "--data-dir", dataDir().toString(), "--backend", backend,
        "--listen-client-urls", clientUrl(), "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", peerUrl(), "--initial-advertise-peer-urls", peerUrl(),
        "--initial-cluster", "default=" + peerUrl()));
    cmd.addAll(extraArgs);
    return cmd;
  }

  @Override
  protected Duration startTimeout() {
    return Duration.ofSeconds(Long.getLong("strata.it.startTimeoutSeconds", 90));
  }
}
