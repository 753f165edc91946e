package dev.strata.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real etcdctl (v3 API) against a fresh member: put/get (--prefix, --limit, --rev, sorting,
 * -w json/fields)/del/txn (stdin form)/compaction. Each step has a golden expectation where the
 * output is fixed, and every step's normalised output (exit code, stdout, stderr) must also equal
 * what the same command printed against a fresh real etcd.
 */
class KvEtcdctlIT {
  private static final Pattern RETRY_LOG = Pattern.compile("^\\{\"level\":.*\"error\":\"((?:[^\"\\\\]|\\\\.)*)\".*$");

  /** One etcdctl invocation; golden stdout null = only compared with real etcd. */
  record Step(List<String> args, String stdin, int exit, String stdout) {
    static Step ok(String stdout, String... args) {
      return new Step(List.of(args), null, 0, stdout);
    }

    static Step fails(String stderrLine, String... args) {
      return new Step(List.of(args), null, 1, "Error: " + stderrLine + "\n");
    }

    static Step txn(String stdin, String stdout, String... args) {
      return new Step(List.of(args), stdin, 0, stdout);
    }
  }

  static final List<Step> TRANSCRIPT = List.of(
      Step.ok("OK\n", "put", "foo", "bar"),
      Step.ok("OK\n", "put", "foo/1", "a"),
      Step.ok("OK\n", "put", "foo/2", "b"),
      Step.ok("OK\n", "put", "foo/3", "c"),
      Step.ok("OK\n", "put", "fop", "x"),
      Step.ok("foo\nbar\n", "get", "foo"),
      Step.ok("", "get", "nothing-here"),
      Step.ok("foo\nbar\nfoo/1\na\nfoo/2\nb\nfoo/3\nc\n", "get", "--prefix", "foo"),
      Step.ok("foo\nbar\nfoo/1\na\n", "get", "--prefix", "--limit", "2", "foo"),
      Step.ok("foo\n\nfoo/1\n\nfoo/2\n\nfoo/3\n\n", "get", "--prefix", "--keys-only", "foo"),
      Step.ok("bar\na\nb\nc\n", "get", "--prefix", "--print-value-only", "foo"),
      Step.ok("foo/2\nb\nfoo/3\nc\nfop\nx\n", "get", "--from-key", "foo/2"),
      Step.ok("foo/3\nc\nfoo/2\nb\nfoo/1\na\nfoo\nbar\n", "get", "--prefix", "--sort-by=MODIFY", "--order=DESCEND", "foo"),
      Step.ok("foo/1\na\nfoo/2\nb\n", "get", "foo/1", "foo/3"),
      Step.ok("OK\nfoo\nbar\n", "put", "--prev-kv", "foo", "baz"),
      Step.ok("foo\nbar\n", "get", "--rev", "2", "foo"),
      Step.ok("foo\nbaz\n", "get", "--rev", "0", "foo"),
      Step.ok("{\"header\":{\"cluster_id\":N,\"member_id\":N,\"revision\":7,\"raft_term\":N},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":7,\"version\":2,\"value\":\"YmF6\"}],\"count\":1}\n",
          "get", "-w", "json", "foo"),
      Step.ok("{\"header\":{\"cluster_id\":N,\"member_id\":N,\"revision\":7,\"raft_term\":N},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":7,\"version\":2,\"value\":\"YmF6\"}],\"more\":true,\"count\":4}\n",
          "get", "-w", "json", "--prefix", "--limit", "1", "foo"),
      Step.ok(null, "get", "-w", "json", "--keys-only", "--prefix", "foo"),
      Step.ok(null, "get", "-w", "fields", "--rev", "3", "foo"),
      Step.ok(null, "put", "-w", "json", "--prev-kv", "fop", "y"),
      Step.ok(null, "get", "--prefix", ""),
      Step.ok("1\n", "del", "foo/1"),
      Step.ok("0\n", "del", "foo/1"),
      Step.ok("1\nfop\ny\n", "del", "--prev-kv", "fop"),
      Step.ok("OK\n", "put", "a", "1"),
      Step.txn("value(\"a\") = \"1\"\n\nput a 2\n\nput a 3\n\n", "SUCCESS\n\nOK\n", "txn"),
      Step.txn("mod(\"a\") > \"1000\"\n\nput a 4\n\nget a\n\n", "FAILURE\n\na\n2\n", "txn"),
      Step.txn("version(\"a\") = \"2\"\ncreate(\"a\") > \"0\"\n\nput b x\ndel a\n\n\n", "SUCCESS\n\nOK\n\n1\n", "txn"),
      Step.txn("value(\"zz\") = \"\"\n\nput zz 1\n\nget --prefix foo\n\n", null, "txn"),
      Step.txn("value(\"b\") = \"x\"\n\nget b\n\n\n", "{\"header\":{\"cluster_id\":N,\"member_id\":N,\"revision\":13,\"raft_term\":N},\"succeeded\":true,\"responses\":[{\"Response\":{\"ResponseRange\":{\"header\":{\"revision\":13},\"kvs\":[{\"key\":\"Yg==\",\"create_revision\":13,\"mod_revision\":13,\"version\":1,\"value\":\"eA==\"}],\"count\":1}}}]}\n",
          "txn", "-w", "json"),
      Step.ok("3\n", "del", "--prefix", "foo"),
      Step.ok("{\"header\":{\"cluster_id\":N,\"member_id\":N,\"revision\":14,\"raft_term\":N}}\n", "get", "-w", "json", "--prefix", "foo"),
      Step.ok("compacted revision 5\n", "compaction", "5"),
      Step.ok("compacted revision 6\n", "compaction", "--physical", "6"),
      Step.fails("etcdserver: mvcc: required revision has been compacted", "compaction", "4"),
      Step.fails("etcdserver: mvcc: required revision is a future revision", "compaction", "1000"),
      Step.fails("etcdserver: mvcc: required revision has been compacted", "get", "--rev", "3", "foo"),
      Step.fails("etcdserver: mvcc: required revision is a future revision", "get", "--rev", "1000", "foo"),
      Step.ok(null, "get", "--rev", "6", "--prefix", ""),
      Step.fails("etcdserver: key is not provided", "put", "", "x"),
      Step.ok("OK\n", "put", "--ignore-value", "b"),
      Step.fails("etcdserver: key not found", "put", "--ignore-value", "never-written"),
      Step.ok(null, "get", "-w", "json", "b"));

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void etcdctlTranscriptMatchesGoldenAndEtcd(String engine) {
    try (var member = Members.start(engine); var etcd = EtcdProcess.start()) {
      var candidate = new Etcdctl(member);
      var reference = new Etcdctl(etcd);
      var soft = new SoftAssertions();
      var transcript = new ArrayList<String>();
      for (int i = 0; i < TRANSCRIPT.size(); i++) {
        Step step = TRANSCRIPT.get(i);
        Etcdctl.Result got = candidate.runWithInput(step.stdin(), step.args().toArray(String[]::new));
        Etcdctl.Result want = reference.runWithInput(step.stdin(), step.args().toArray(String[]::new));
        String what = "step " + i + " etcdctl " + step.args();
        transcript.add("$ " + what + "\n" + got);
        soft.assertThat(got.exitCode()).as(what + " exit code; output:\n" + got).isEqualTo(step.exit());
        if (step.exit() == 0 && step.stdout() != null) {
          soft.assertThat(normalizeIds(got.stdout())).as(what + " stdout (golden)").isEqualTo(step.stdout());
        } else if (step.exit() != 0) {
          soft.assertThat(lastLine(got.stderr())).as(what + " error (golden)").isEqualTo(step.stdout());
        }
        soft.assertThat(normalize(got)).as(what + " vs real etcd").isEqualTo(normalize(want));
      }
      System.out.println(String.join("\n", transcript));
      soft.assertAll();
      assertThat(member.isAlive()).isTrue();
    }
  }

  /** Member-specific numbers and etcdctl's timestamped retry logs are not part of the contract. */
  static String normalize(Etcdctl.Result r) {
    String out = normalizeIds(r.stdout());
    var err = new StringBuilder();
    for (String line : r.stderr().split("\n", -1)) {
      Matcher m = RETRY_LOG.matcher(line);
      err.append(m.matches() ? "retry-log: " + m.group(1) : line).append('\n');
    }
    return "exit=" + r.exitCode() + "\n" + out + "--- stderr\n" + err;
  }

  static String normalizeIds(String stdout) {
    return stdout
        .replaceAll("\"(cluster_id|member_id|raft_term)\":\\d+", "\"$1\":N")
        .replaceAll("\"(ClusterID|MemberID|RaftTerm)\" : \\d+", "\"$1\" : N");
  }

  private static String lastLine(String text) {
    String[] lines = text.strip().split("\n");
    return lines[lines.length - 1] + "\n";
  }
}
