package dev.strata.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A second process started on a running member's data dir exits 1 with a one-line explanation before it
 * touches the engine files or the Raft log, and the running member keeps serving (etcd locks its data
 * dir likewise).
 */
class DataDirLockIT {

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void aSecondMemberOnTheSameDataDirIsRefused(String engine) throws Exception {
    try (StrataProcess running = StrataProcess.start(engine)) {
      Etcdctl etcdctl = new Etcdctl(running.endpoint());
      assertThat(etcdctl.run("put", "k", "before").exitCode()).isZero();

      Path jar = ItPaths.launchJar();
      int client = FreePorts.next();
      int peer = FreePorts.next();
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(MemberJvm.options());
      cmd.addAll(List.of("-cp", jar + ":" + jar.getParent().resolve("lib") + "/*", "dev.strata.server.Main",
          "--data-dir", running.dataDir().toString(), "--backend", engine,
          "--listen-client-urls", "http://127.0.0.1:" + client, "--advertise-client-urls", "http://127.0.0.1:" + client,
          "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
          "--initial-cluster", "default=http://127.0.0.1:" + peer));
      Process second = new ProcessBuilder(cmd).start();
      second.getOutputStream().close();
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("second process exits").isTrue();
      String stderr = new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(second.exitValue()).as(stderr).isEqualTo(1);
      // the log goes to stderr too; the explanation is its last line, and one line
      List<String> lines = stderr.strip().lines().toList();
      assertThat(lines.get(lines.size() - 1)).as(stderr).startsWith("strata: data dir ")
          .contains("is in use by another process");
      assertThat(stderr).doesNotContain("Exception");

      assertThat(etcdctl.run("put", "k", "after").exitCode()).isZero();
      assertThat(etcdctl.run("get", "k", "--print-value-only").stdout().strip()).isEqualTo("after");
    }
  }
}
