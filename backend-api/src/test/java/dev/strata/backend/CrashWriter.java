package dev.strata.backend;

import static dev.strata.backend.Bytes.be64;
import static dev.strata.backend.Bytes.utf8;

import java.nio.file.Path;

/**
 * Child process of {@link BackendCrashTest}: opens a backend and commits numbered batches until it is
 * killed. Batch {@code n} touches three buckets with the same sequence number:
 * <ul>
 *   <li>KEY: puts {@code be64(n)} and deletes {@code be64(n - WINDOW)}, so KEY holds exactly the last
 *       {@code WINDOW} numbers;</li>
 *   <li>LEASE: puts {@code be64(n)} (never deleted, so LEASE holds 1..n);</li>
 *   <li>META: {@code last = be64(n)}.</li>
 * </ul>
 * Every {@code syncEvery} batches it syncs and prints {@code synced <n>}; a recovered state must be
 * exactly the state after some batch {@code L >= } the last printed number.
 *
 * <p>It also stops when its standard input ends, that is when the test JVM holding the other end is
 * gone: an orphan of a killed test run otherwise wrote until the disk was full (52 GB seen).
 *
 * <p>Args: engine dir syncEvery
 */
public final class CrashWriter {

  static final int WINDOW = 50;
  static final byte[] LAST = utf8("last");

  private CrashWriter() {}

  /** The value batch {@code n} writes: deterministic, so a torn value is detected. */
  static byte[] value(long n) {
    return Bytes.deterministic(n, 64 + (int) (n % 4000));
  }

  public static void main(String[] args) {
    exitWhenParentGoes();
    String engine = args[0];
    Path dir = Path.of(args[1]);
    int syncEvery = Integer.parseInt(args[2]);
    Backend backend = Backends.factory(engine).open(dir, BackendOptions.defaults().withInitialSizeBytes(4 * BackendOptions.MIB));
    long n;
    try (ReadView v = backend.readView()) {
      byte[] last = v.get(Bucket.META, LAST);
      n = last == null ? 0 : Bytes.be64(last);
    }
    System.out.println("started " + n);
    System.out.flush();
    while (true) {
      n++;
      WriteBatch batch = backend.newBatch();
      byte[] value = value(n);
      batch.put(Bucket.KEY, be64(n), value);
      if (n > WINDOW) {
        batch.delete(Bucket.KEY, be64(n - WINDOW));
      }
      batch.put(Bucket.LEASE, be64(n), value);
      batch.put(Bucket.META, LAST, be64(n));
      backend.commit(batch);
      if (n % syncEvery == 0) {
        backend.sync();
        System.out.println("synced " + n);
        System.out.flush();
      }
    }
  }

  private static void exitWhenParentGoes() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // the parent writes nothing; any byte is ignored
        }
      } catch (java.io.IOException e) {
        // a broken pipe means the same as end of input
      }
      Runtime.getRuntime().halt(3);
    }, "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }
}
