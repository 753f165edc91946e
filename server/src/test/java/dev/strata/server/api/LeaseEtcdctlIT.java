package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.it.EtcdProcess;
import dev.strata.server.it.Etcdctl;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real etcdctl's lease commands (grant, keep-alive --once, timetolive [--keys], revoke, list, put
 * --lease) against an in-process member per engine and against a fresh real etcd 3.4: every step's
 * output, with lease ids and remaining seconds normalised, must be identical, and equal the golden
 * text where it is fixed.
 */
class LeaseEtcdctlIT {

  private static final Pattern GRANTED = Pattern.compile("^lease ([0-9a-f]{16}) granted");
  private static final Pattern REMAINING = Pattern.compile("remaining\\(-?\\d+s\\)");
  private static final Pattern KEYS = Pattern.compile("attached keys\\(\\[([^\\]]*)\\]\\)");

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  /** One command; {@code $0}, {@code $1} stand for the ids granted so far; golden null = compare only. */
  record Step(String golden, String... args) {}

  static final List<Step> SCRIPT = List.of(
      new Step("lease $0 granted with TTL(2s)\n", "lease", "grant", "1"),
      new Step("lease $0 revoked\n", "lease", "revoke", "$0"),
      new Step("lease $1 granted with TTL(60s)\n", "lease", "grant", "60"),
      new Step("OK\n", "put", "--lease=$1", "k2", "v"),
      new Step("OK\n", "put", "--lease=$1", "k1", "v"),
      new Step("OK\n", "put", "plain", "v"),
      new Step("lease $1 granted with TTL(60s), remaining(Ns)\n", "lease", "timetolive", "$1"),
      new Step("lease $1 granted with TTL(60s), remaining(Ns), attached keys([k1 k2])\n",
          "lease", "timetolive", "--keys", "$1"),
      new Step("lease $1 keepalived with TTL(60)\n", "lease", "keep-alive", "--once", "$1"),
      new Step("found 1 leases\n$1\n", "lease", "list"),
      new Step("OK\n", "put", "k2", "unleased"),
      new Step("lease $1 granted with TTL(60s), remaining(Ns), attached keys([k1])\n",
          "lease", "timetolive", "--keys", "$1"),
      new Step("lease $1 revoked\n", "lease", "revoke", "$1"),
      new Step("k2\n\nplain\n\n", "get", "--keys-only", "--from-key", "k"),
      new Step("lease $1 already expired\n", "lease", "timetolive", "$1"),
      new Step(null, "lease", "revoke", "$1"),
      new Step(null, "lease", "keep-alive", "--once", "$1"),
      new Step(null, "lease", "revoke", "abc"),
      new Step(null, "put", "--lease=1234", "k3", "v"),
      new Step(null, "lease", "grant", "9000000001"),
      new Step("found 0 leases\n", "lease", "list"));

  @ParameterizedTest
  @MethodSource("engines")
  void leaseCommandsMatchRealEtcd(String engine) throws Exception {
    List<String> fromEtcd;
    try (EtcdProcess etcd = EtcdProcess.start()) {
      fromEtcd = run(new Etcdctl(etcd.endpoint()));
    }
    List<String> fromStrata;
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort())) {
      fromStrata = run(new Etcdctl("http://127.0.0.1:" + m.clients.port(0)));
    }
    for (int i = 0; i < SCRIPT.size(); i++) {
      Step s = SCRIPT.get(i);
      System.out.println("step " + i + " " + Arrays.toString(s.args()) + "\n" + fromStrata.get(i));
      String label = "step " + i + " " + Arrays.toString(s.args());
      assertThat(fromStrata.get(i)).as(label + " vs etcd").isEqualTo(fromEtcd.get(i));
      if (s.golden() != null) {
        assertThat(fromStrata.get(i)).as(label + " golden").isEqualTo("exit=0\n" + s.golden());
      }
    }
  }

  /** Runs the script; each result normalised to "exit=N\nstdout[stderr]" with ids as $i. */
  private static List<String> run(Etcdctl ctl) {
    List<String> ids = new ArrayList<>();
    List<String> out = new ArrayList<>();
    for (Step s : SCRIPT) {
      String[] args = Arrays.stream(s.args()).map(a -> substitute(a, ids)).toArray(String[]::new);
      Etcdctl.Result r = ctl.run(args);
      Matcher g = GRANTED.matcher(r.stdout());
      if (g.find()) {
        ids.add(g.group(1));
      }
      String text = "exit=" + r.exitCode() + "\n" + r.stdout() + stderr(r.stderr());
      for (int i = 0; i < ids.size(); i++) {
        text = text.replace(ids.get(i), "$" + i);
      }
      text = REMAINING.matcher(text).replaceAll("remaining(Ns)");
      // etcd lists attached keys in map order: sort them
      Matcher k = KEYS.matcher(text);
      if (k.find()) {
        String sorted = Arrays.stream(k.group(1).split(" ")).sorted().collect(Collectors.joining(" "));
        text = text.substring(0, k.start(1)) + sorted + text.substring(k.end(1));
      }
      out.add(text);
    }
    return out;
  }

  private static String substitute(String arg, List<String> ids) {
    for (int i = ids.size() - 1; i >= 0; i--) {
      arg = arg.replace("$" + i, ids.get(i));
    }
    return arg;
  }

  /** etcdctl's client retry logs (JSON, timestamps) are not part of the answer; the Error line is. */
  private static String stderr(String err) {
    return err.lines().filter(l -> !l.startsWith("{\"level\"")).map(l -> l + "\n").collect(Collectors.joining());
  }
}
