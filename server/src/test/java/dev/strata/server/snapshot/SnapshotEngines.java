package dev.strata.server.snapshot;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Real engines and a deterministic content for the snapshot tests. */
final class SnapshotEngines {

  private SnapshotEngines() {}

  static Backend open(String engine, Path dir) {
    BackendOptions small = BackendOptions.defaults()
        .withInitialSizeBytes(16 * BackendOptions.MIB)
        .withCacheBytes(8 * BackendOptions.MIB);
    return Backends.factory(engine).open(dir, small);
  }

  /**
   * Fills KEY, META (with an applied term and index) and LEASE, leaving the other buckets empty so
   * the hash's empty-bucket sections are exercised; {@code valueBytes} sizes the KEY values.
   */
  static void fill(Backend b, int keys, int valueBytes, long term, long index) {
    WriteBatch batch = b.newBatch();
    for (int i = 0; i < keys; i++) {
      byte[] value = new byte[valueBytes];
      ByteBuffer.wrap(value).putInt(i);
      batch.put(Bucket.KEY, ByteBuffer.allocate(8).putLong(i + 1).array(), value);
    }
    batch.put(Bucket.META, ascii("consistent_index"), ByteBuffer.allocate(8).putLong(index).array());
    batch.put(Bucket.META, ascii("term"), ByteBuffer.allocate(8).putLong(term).array());
    batch.put(Bucket.LEASE, ascii("lease-7"), ascii("ttl=60"));
    batch.put(Bucket.CLUSTER, ascii("clusterVersion"), ascii("3.5.0"));
    b.commit(batch);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
