package dev.strata.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test of the KV core: real etcd 3.4 and Strata side by side receive the same seeded
 * stream of at least 10,000 Range/Put/DeleteRange/Txn/Compact/HashKV requests (valid and invalid)
 * over raw gRPC; every answer, every revision and the final HashKV must match. Mismatches are
 * listed in {@code target/it-logs/differential-<engine>-<seed>.txt}.
 * Knobs: {@code -Dstrata.seed}, {@code -Dstrata.diff.ops} (10000), {@code -Dstrata.diff.maxMismatches} (25).
 */
class DifferentialKvIT {

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void strataAnswersLikeEtcd(String engine) {
    long seed = Seeds.seed("DifferentialKvIT[" + engine + "]");
    int ops = Integer.getInteger("strata.diff.ops", 10_000);
    int maxMismatches = Integer.getInteger("strata.diff.maxMismatches", 25);
    try (var etcd = EtcdProcess.start();
         var strata = Members.start(engine);
         var reference = new KvClient(etcd);
         var candidate = new KvClient(strata)) {
      var report = new DifferentialRunner(engine, reference, candidate, maxMismatches).run(seed, ops);
      String died = strata.isAlive() ? "" : "\nStrata exited; log " + strata.logFile() + ":\n" + strata.tailText();
      assertThat(report.clean()).as("%s; distinct mismatches:%n  %s%s", report.summary(),
          String.join("\n  ", report.bySignature().keySet()), died).isTrue();
    }
  }
}
