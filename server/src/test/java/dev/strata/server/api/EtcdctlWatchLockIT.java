package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.it.EtcdProcess;
import dev.strata.server.it.Etcdctl;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code etcdctl watch}, {@code lock} and {@code elect} (3.4, /usr/bin/etcdctl) against real etcd and
 * an in-process Strata member per engine: the same scenario runs on both and the transcripts must be
 * identical once lease ids (which each server picks) are replaced by {@code <lease>}. etcdctl's lock
 * and elect run etcd's concurrency recipes client-side, so they exercise KV, Watch and Lease.
 */
class EtcdctlWatchLockIT {

  private static final Pattern LEASE_HEX = Pattern.compile("/([0-9a-f]{1,16})$", Pattern.MULTILINE);

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  /** Runs {@code scenario} on real etcd and on Strata; returns {etcd transcript, strata transcript}. */
  private String[] onBoth(String engine, Function<String, String> scenario) throws Exception {
    String etcdOut;
    try (EtcdProcess etcd = EtcdProcess.start()) {
      etcdOut = scenario.apply(etcd.endpoint());
    }
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort())) {
      String strataOut = scenario.apply("127.0.0.1:" + m.clients.port(0));
      assertThat(m.halted.get()).isNull();
      return new String[] {etcdOut, strataOut};
    }
  }

  private static String normalized(String s) {
    Matcher m = LEASE_HEX.matcher(s);
    return m.replaceAll("/<lease>");
  }

  private static void ok(Etcdctl.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void watchTranscriptsMatchEtcd(String engine) throws Exception {
    String[] got = onBoth(engine, endpoint -> {
      Etcdctl ctl = new Etcdctl(endpoint);
      ok(ctl.run("put", "k/a", "1"));  // rev 2
      ok(ctl.run("put", "k/b", "2"));  // rev 3
      ok(ctl.run("del", "k/a"));       // rev 4
      StringBuilder t = new StringBuilder();
      try (EtcdctlProcess prefix = EtcdctlProcess.start(endpoint, "watch", "--prefix", "k/", "--rev=2");
           EtcdctlProcess prevKv = EtcdctlProcess.start(endpoint, "watch", "--prev-kv", "k/a", "--rev=2");
           EtcdctlProcess range = EtcdctlProcess.start(endpoint, "watch", "k/b", "k/c", "--rev=5")) {
        ok(ctl.run("put", "k/a", "x y"));
        ok(ctl.run("put", "other", "z"));
        ok(ctl.run("put", "k/b", "3"));
        ok(ctl.runWithInput("\nput k/a t1\nput k/b t2\n\n\n", "txn")); // one revision, two events
        ok(ctl.run("del", "--prefix", "k/"));
        ok(ctl.run("put", "k/a", "END"));
        ok(ctl.run("put", "k/b", "END"));
        // each watch ends with the last END put on its keys: the prefix watch sees k/a's END before
        // k/b's, so waiting for any "END" there would cut its transcript short
        t.append(prefix.awaitStdout(s -> s.endsWith("k/b\nEND\n"), "k/b END")).append("----\n");
        t.append(prevKv.awaitStdout(s -> s.endsWith("k/a\nEND\n"), "k/a END")).append("----\n");
        t.append(range.awaitStdout(s -> s.endsWith("k/b\nEND\n"), "k/b END")).append("----\n");
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      ok(ctl.run("compact", "4"));
      try (EtcdctlProcess compacted = EtcdctlProcess.start(endpoint, "watch", "--prefix", "k/", "--rev=2")) {
        int code = compacted.awaitExit();
        t.append("exit=").append(code).append('\n').append(compacted.stdout()).append(compacted.stderr());
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return t.toString();
    });
    System.out.println("etcd watch transcript:\n" + got[0]);
    assertThat(got[1]).isEqualTo(got[0]);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void lockAndElectTranscriptsMatchEtcd(String engine) throws Exception {
    String[] got = onBoth(engine, endpoint -> {
      Etcdctl ctl = new Etcdctl(endpoint);
      StringBuilder t = new StringBuilder();
      try {
        Etcdctl.Result exec = ctl.run("lock", "L", "echo", "held");
        t.append("exec: exit=").append(exec.exitCode()).append(' ').append(exec.stdout());
        EtcdctlProcess b;
        try (EtcdctlProcess a = EtcdctlProcess.start(endpoint, "lock", "L")) {
          t.append("A: ").append(a.awaitStdout(s -> s.endsWith("\n\n"), "A holding"));
          b = EtcdctlProcess.start(endpoint, "lock", "L");
          // etcdctl prints the held key and its (empty) value; B waits once its key is behind A's
          awaitLines(ctl, "L/", 2);
          t.append("B while A holds: '").append(b.stdout()).append("'\n");
        } // SIGTERM: A unlocks and revokes its lease
        t.append("B: ").append(b.awaitStdout(s -> s.endsWith("\n\n"), "B holding"));
        b.close();
        awaitLines(ctl, "L/", 0);

        try (EtcdctlProcess observer = EtcdctlProcess.start(endpoint, "elect", "-l", "E")) {
          EtcdctlProcess second;
          try (EtcdctlProcess first = EtcdctlProcess.start(endpoint, "elect", "E", "v1")) {
            t.append("first: ").append(first.awaitStdout(s -> s.endsWith("v1\n"), "first elected"));
            observer.awaitStdout(s -> s.endsWith("v1\n"), "observer sees v1");
            second = EtcdctlProcess.start(endpoint, "elect", "E", "v2");
            awaitLines(ctl, "E/", 2);
            t.append("second while first leads: '").append(second.stdout()).append("'\n");
          } // SIGTERM: first resigns
          t.append("second: ").append(second.awaitStdout(s -> s.endsWith("v2\n"), "second elected"));
          t.append("observer: ").append(observer.awaitStdout(s -> s.endsWith("v2\n"), "observer sees v2"));
          second.close();
        }
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return t.toString();
    });
    System.out.println("etcd lock/elect transcript:\n" + got[0]);
    assertThat(normalized(got[1])).isEqualTo(normalized(got[0]));
  }

  /** Waits (bounded, polling with etcdctl) until exactly {@code n} keys exist under {@code prefix}. */
  private static void awaitLines(Etcdctl ctl, String prefix, int n) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      Etcdctl.Result r = ctl.run("get", "--prefix", prefix, "--keys-only");
      if (r.stdout().lines().filter(l -> !l.isEmpty()).count() == n) {
        return;
      }
      assertThat(System.currentTimeMillis()).as("keys under " + prefix + ": " + r).isLessThan(deadline);
    }
  }
}
