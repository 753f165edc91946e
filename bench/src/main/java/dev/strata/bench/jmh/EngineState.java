package dev.strata.bench.jmh;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.WriteBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** One engine in a fresh temp dir per trial, preloaded with {@link #PRELOADED} keys of 256 B values. */
@State(Scope.Benchmark)
public class EngineState {

  static final int PRELOADED = 200_000;
  static final int VALUE_BYTES = 256;

  @Param({"btree", "lsm"})
  public String engine;

  Backend backend;
  Path dir;
  final byte[] value = new byte[VALUE_BYTES];
  long nextKey = PRELOADED;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("strata-jmh-" + engine);
    backend = Backends.factory(engine).open(dir, BackendOptions.defaults());
    new Random(42).nextBytes(value);
    for (int start = 0; start < PRELOADED; start += 10_000) {
      WriteBatch batch = backend.newBatch();
      for (int i = start; i < start + 10_000; i++) {
        batch.put(Bucket.KEY, key(i), value);
      }
      backend.commit(batch);
    }
    backend.sync();
  }

  @TearDown(Level.Trial)
  public void close() {
    backend.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Revision-like key: 8-byte big-endian, like etcd's KEY bucket. */
  static byte[] key(long n) {
    return ByteBuffer.allocate(8).putLong(n).array();
  }
}
