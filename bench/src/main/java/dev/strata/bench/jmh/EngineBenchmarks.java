package dev.strata.bench.jmh;

import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The four engine workloads of the foundation issue, on both engines through the SPI: batched
 * sequential puts, random point gets, 1,000-key range scans, and commit+sync latency.
 */
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class EngineBenchmarks {

  /** One commit of 1,000 sequential 256 B puts; the score is puts per second. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(1000)
  public void batchedSequentialPuts(EngineState s) {
    WriteBatch batch = s.backend.newBatch();
    for (int i = 0; i < 1000; i++) {
      batch.put(Bucket.KEY, EngineState.key(s.nextKey++), s.value);
    }
    s.backend.commit(batch);
  }

  /** A point get of a random preloaded key on a fresh read view, as a read request would do. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public byte[] randomGet(EngineState s) {
    long n = ThreadLocalRandom.current().nextLong(EngineState.PRELOADED);
    try (ReadView v = s.backend.readView()) {
      return v.get(Bucket.KEY, EngineState.key(n));
    }
  }

  /** A scan of 1,000 consecutive keys from a random start; the score is scans per second. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public void rangeScan1000(EngineState s, Blackhole bh) {
    long start = ThreadLocalRandom.current().nextLong(EngineState.PRELOADED - 1000);
    try (ReadView v = s.backend.readView();
        Cursor c = v.cursor(Bucket.KEY, EngineState.key(start), EngineState.key(start + 1000))) {
      while (c.next()) {
        bh.consume(c.value());
      }
    }
  }

  /** Commit of a 10-put batch followed by sync(): the engine's durability latency. */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public void commitAndSync(EngineState s) {
    WriteBatch batch = s.backend.newBatch();
    for (int i = 0; i < 10; i++) {
      batch.put(Bucket.KEY, EngineState.key(s.nextKey++), s.value);
    }
    s.backend.commit(batch);
    s.backend.sync();
  }
}
