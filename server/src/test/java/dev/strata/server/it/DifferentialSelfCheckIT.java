package dev.strata.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The differential harness checked against itself: two real etcd processes given the same seeded
 * operations must agree on everything the comparator looks at. A failure here is a harness bug
 * (or a nondeterminism in etcd the comparator must learn about), never a Strata bug.
 */
class DifferentialSelfCheckIT {

  @Test
  void twoEtcdsAgree() {
    long seed = Seeds.seed("DifferentialSelfCheckIT");
    int ops = Integer.getInteger("strata.diff.selfCheckOps", 3000);
    try (var left = EtcdProcess.startNamed("etcd-left");
         var right = EtcdProcess.startNamed("etcd-right");
         var reference = new KvClient(left);
         var candidate = new KvClient(right)) {
      var report = new DifferentialRunner("etcd-vs-etcd", reference, candidate, 10).run(seed, ops);
      assertThat(report.clean()).as(report.summary()).isTrue();
    }
  }
}
