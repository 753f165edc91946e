package dev.strata.server.it;

import static dev.strata.server.it.Protos.bs;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Durability under SIGKILL: each round, concurrent writers put unique keys and record every
 * acknowledged put with its revision; the member is killed with -9 after a seeded number of
 * acknowledgements, restarted on the same data dir, and must still hold every acknowledged put
 * (value and mod revision) from every round, and hand out revisions above all of them.
 * Knobs: {@code -Dstrata.seed}, {@code -Dstrata.crash.rounds} (20).
 */
class CrashRecoveryIT {
  private static final int MAX_PUTS_PER_WRITER = 20_000;

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void acknowledgedPutsSurviveKill9(String engine) throws Exception {
    long seed = Seeds.seed("CrashRecoveryIT[" + engine + "]");
    int rounds = Integer.getInteger("strata.crash.rounds", 20);
    var rnd = new Random(seed);
    Map<String, Long> acked = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    try (var member = Members.start(engine)) {
      for (int round = 0; round < rounds; round++) {
        int writers = 2 + rnd.nextInt(7);
        int killAfterAcks = 1 + rnd.nextInt(rnd.nextBoolean() ? 50 : 400);
        String context = "seed=" + seed + " round=" + round + " writers=" + writers + " killAfterAcks="
            + killAfterAcks + " log=" + member.logFile();
        int ackedThisRound = writeUntilKilled(member, round, writers, killAfterAcks, acked, context);
        member.restart();
        long probe = verify(member, acked, round, context);
        System.out.printf("[CrashRecoveryIT %s] round %d: writers=%d kill after %d acks, %d acked, "
            + "%d total verified, next revision %d%n", engine, round, writers, killAfterAcks,
            ackedThisRound, acked.size(), probe);
      }
    }
    System.out.printf("[CrashRecoveryIT %s] %d rounds, %d acknowledged puts verified in %d s (seed %d)%n",
        engine, rounds, acked.size(), Duration.ofNanos(System.nanoTime() - start).toSeconds(), seed);
  }

  /** Writers put until the member dies; returns how many puts were acknowledged this round. */
  private static int writeUntilKilled(ServerProcess member, int round, int writers, int killAfterAcks,
      Map<String, Long> acked, String context) throws InterruptedException {
    var enoughAcks = new CountDownLatch(killAfterAcks);
    var ackedThisRound = new ConcurrentHashMap<String, Long>();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try (var client = new KvClient(member)) {
      for (int w = 0; w < writers; w++) {
        int writer = w;
        pool.execute(() -> {
          for (int i = 0; i < MAX_PUTS_PER_WRITER; i++) {
            String key = "crash/r" + round + "/w" + writer + "/" + i;
            try {
              long rev = client.kv().put(PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value(key))).build())
                  .getHeader().getRevision();
              ackedThisRound.put(key, rev);
              enoughAcks.countDown();
            } catch (StatusRuntimeException e) {
              return; // the member is gone (or going): stop this writer
            }
          }
        });
      }
      boolean reached = enoughAcks.await(120, TimeUnit.SECONDS);
      member.kill9();
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).as("writers stopped; " + context).isTrue();
      assertThat(reached).as("%d acks within 120 s before the kill; %s", killAfterAcks, context).isTrue();
    } finally {
      pool.shutdownNow();
    }
    acked.putAll(ackedThisRound);
    return ackedThisRound.size();
  }

  /** Every acknowledged put is there; the next write gets a higher revision. Returns that revision. */
  private static long verify(ServerProcess member, Map<String, Long> acked, int round, String context) {
    try (var client = new KvClient(member)) {
      RangeResponse all = client.kv().range(RangeRequest.newBuilder().setKey(bs("crash/"))
          .setRangeEnd(Protos.prefixEnd(bs("crash/"))).build());
      Map<String, KeyValue> present = new HashMap<>();
      long maxMod = 0;
      for (KeyValue kv : all.getKvsList()) {
        present.put(kv.getKey().toStringUtf8(), kv);
        maxMod = Math.max(maxMod, kv.getModRevision());
      }
      long maxAcked = 0;
      int lost = 0;
      var firstLost = new StringBuilder();
      for (var e : acked.entrySet()) {
        maxAcked = Math.max(maxAcked, e.getValue());
        KeyValue kv = present.get(e.getKey());
        boolean intact = kv != null && kv.getModRevision() == e.getValue()
            && kv.getValue().toStringUtf8().equals(value(e.getKey()));
        if (!intact && lost++ < 5) {
          firstLost.append("\n  ").append(e.getKey()).append(" acked at revision ").append(e.getValue())
              .append(", found ").append(kv == null ? "nothing" : Protos.brief(kv));
        }
      }
      assertThat(lost).as("acknowledged puts lost or changed after kill -9 in round %d (%s):%s",
          round, context, firstLost).isZero();
      assertThat(all.getHeader().getRevision()).as("revision after restart; " + context)
          .isGreaterThanOrEqualTo(Math.max(maxAcked, maxMod));
      long probe = client.kv().put(PutRequest.newBuilder().setKey(bs("probe/" + round)).setValue(bs("p")).build())
          .getHeader().getRevision();
      assertThat(probe).as("next revision continues above every acknowledged one; " + context)
          .isGreaterThan(Math.max(maxAcked, maxMod));
      return probe;
    }
  }

  private static String value(String key) {
    return "v:" + key;
  }
}
