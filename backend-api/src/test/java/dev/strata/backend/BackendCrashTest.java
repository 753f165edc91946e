package dev.strata.backend;

import static dev.strata.backend.Bytes.be64;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 crash test, written once for every engine: a child JVM ({@link CrashWriter}) commits numbered
 * multi-bucket batches until it is killed with SIGKILL at a seeded random moment; the reopened state
 * must be exactly the state after some batch L (never a partial batch, never a hole) with L at least
 * the last number the child reported as synced. Repeated {@code strata.crash.kills} times (default 50)
 * on the same directory, so each round also recovers from the previous crash.
 */
public abstract class BackendCrashTest {

  private static final int SYNC_EVERY = 25;

  @TempDir Path tmp;

  protected abstract BackendFactory factory();

  @Test
  void recoveredStateIsAPrefixOfCommittedBatches() throws Exception {
    int kills = Integer.getInteger("strata.crash.kills", 50);
    long seed = Seeds.seed(getClass().getSimpleName());
    Random random = new Random(seed);
    Path dir = tmp.resolve("db");
    long previous = 0;
    for (int round = 1; round <= kills; round++) {
      String context = "seed " + seed + ", round " + round;
      ChildRun run = runAndKill(dir, 50 + random.nextInt(1200), context);
      long recovered = verify(dir, context);
      assertThat(recovered).as("%s: recovered batch vs. last synced %d", context, run.lastSynced)
          .isGreaterThanOrEqualTo(run.lastSynced);
      assertThat(recovered).as("%s: progress is never lost across rounds", context).isGreaterThanOrEqualTo(previous);
      previous = recovered;
    }
    assertThat(previous).as("the child made progress").isGreaterThan(kills);
  }

  private record ChildRun(long lastSynced) {}

  private ChildRun runAndKill(Path dir, int runMillis, String context) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens")) {
        cmd.add(arg);
      }
    }
    cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(),
        factory().name(), dir.toString(), Integer.toString(SYNC_EVERY)));
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    AtomicLong lastSynced = new AtomicLong();
    CompletableFuture<Void> started = new CompletableFuture<>();
    List<String> output = new ArrayList<>();
    Thread reader = new Thread(() -> readChild(child, lastSynced, started, output), "crash-child-reader");
    reader.start();
    try {
      started.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      child.destroyForcibly();
      throw new AssertionError(context + ": child did not start: " + output, e);
    }
    // The child runs until killed; the wait below is the seeded kill point, not synchronisation.
    boolean exited = child.waitFor(runMillis, TimeUnit.MILLISECONDS);
    assertThat(exited).as("%s: child died on its own: %s", context, output).isFalse();
    child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close, no flush
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    reader.join(10_000);
    return new ChildRun(lastSynced.get());
  }

  private static void readChild(Process child, AtomicLong lastSynced, CompletableFuture<Void> started, List<String> output) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("synced ")) {
          lastSynced.set(Long.parseLong(line.substring(7).trim()));
        } else if (line.startsWith("started ")) {
          started.complete(null);
        } else {
          synchronized (output) {
            output.add(line);
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      started.completeExceptionally(e);
    }
    started.completeExceptionally(new IllegalStateException("child exited before starting"));
  }

  /** Checks the recovered state is exactly the state after batch L and returns L. */
  private long verify(Path dir, String context) {
    try (Backend backend = factory().open(dir, BackendOptions.defaults());
        ReadView v = backend.readView()) {
      byte[] lastBytes = v.get(Bucket.META, CrashWriter.LAST);
      long last = lastBytes == null ? 0 : Bytes.be64(lastBytes);
      long expected = 1;
      try (Cursor c = v.cursor(Bucket.LEASE, null, null)) {
        while (c.next()) {
          long n = Bytes.be64(c.key());
          assertThat(n).as("%s: LEASE has no hole", context).isEqualTo(expected);
          assertThat(c.value()).as("%s: LEASE value %d intact", context, n).isEqualTo(CrashWriter.value(n));
          expected++;
        }
      }
      assertThat(expected - 1).as("%s: LEASE holds exactly 1..last", context).isEqualTo(last);
      long first = Math.max(1, last - CrashWriter.WINDOW + 1);
      expected = first;
      try (Cursor c = v.cursor(Bucket.KEY, null, null)) {
        while (c.next()) {
          long n = Bytes.be64(c.key());
          assertThat(n).as("%s: KEY holds exactly the last window", context).isEqualTo(expected);
          assertThat(c.value()).as("%s: KEY value %d intact", context, n).isEqualTo(CrashWriter.value(n));
          expected++;
        }
      }
      assertThat(expected - 1).as("%s: KEY ends at last", context).isEqualTo(last);
      if (last > 0) {
        assertThat(v.get(Bucket.KEY, be64(last))).isNotNull();
      }
      return last;
    }
  }
}
