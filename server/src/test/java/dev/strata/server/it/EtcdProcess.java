package dev.strata.server.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A real single-member etcd (3.4 from Debian's etcd-server) as a child process, on loopback. */
public final class EtcdProcess extends ServerProcess {
  static final Path ETCD = Path.of(System.getProperty("strata.it.etcd", "/usr/bin/etcd"));
  private final List<String> extraArgs;

  private EtcdProcess(String name, List<String> extraArgs) {
    super(name);
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts a fresh etcd and waits until it serves; fails clearly when etcd is not installed. */
  public static EtcdProcess start(String... extraArgs) {
    return startNamed("etcd", extraArgs);
  }

  static EtcdProcess startNamed(String name, String... extraArgs) {
    requireInstalled();
    var member = new EtcdProcess(name, Arrays.asList(extraArgs));
    member.startFresh();
    return member;
  }

  static void requireInstalled() {
    if (!Files.isExecutable(ETCD) || !Files.isExecutable(Etcdctl.ETCDCTL)) {
      throw new IllegalStateException("real etcd is needed for differential tests but " + ETCD + " or "
          + Etcdctl.ETCDCTL + " is missing; run bin/test (it installs Debian etcd-server and "
          + "etcd-client) or: apt-get install etcd-server etcd-client");
    }
  }

  @Override
  protected List<String> command() {
    var cmd = new ArrayList<>(List.of(ETCD.toString(),
        "--name", "default", "--data-dir", dataDir().toString(),
        "--listen-client-urls", clientUrl(), "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", peerUrl(), "--initial-advertise-peer-urls", peerUrl(),
        "--initial-cluster", "default=" + peerUrl()));
    cmd.addAll(extraArgs);
    return cmd;
  }

  @Override
  protected Duration startTimeout() {
    return Duration.ofSeconds(30);
  }
}
