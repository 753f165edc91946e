package dev.strata.server.snapshot;

import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The wire format of a logical snapshot, independent of the transport (any byte stream: a gRPC
 * chunk stream, an HTTP body, a file) and of both members' engines.
 *
 * <pre>
 * magic "STRATASNAP1"
 * frames:  u8 bucketId (1..255), u32 keyLen, key, u32 valueLen, value     — in bucket id, key order
 * end:     u8 0
 * trailer: u64 term, u64 index, u32 hashLen, CanonicalHash of the same read view
 * </pre>
 *
 * The hash and (term, index) come last because they are computed while streaming from the one read
 * view, so the leader reads its content once. The reader recomputes the canonical hash over what it
 * received <em>and</em> over what the follower's engine reads back, so a transport error and an
 * engine-side write problem are both caught before anything replaces the member's backend.
 */
public final class LogicalSnapshot {

  private static final byte[] MAGIC = "STRATASNAP1".getBytes(StandardCharsets.US_ASCII);
  /** META keys and encodings as etcd's (see mvcc.Meta): 8-byte big-endian. */
  private static final byte[] CONSISTENT_INDEX = "consistent_index".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TERM = "term".getBytes(StandardCharsets.US_ASCII);
  /** Keys and values above this are refused by the reader: corruption, not data. */
  private static final int MAX_FIELD = 64 * 1024 * 1024;

  private LogicalSnapshot() {}

  /**
   * Streams every bucket of {@code view} to {@code out} (not closed) and returns the header that was
   * written as the trailer.
   */
  public static SnapshotHeader write(ReadView view, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.write(MAGIC);
    Hasher hasher = new Hasher();
    for (Bucket bucket : Bucket.values()) {
      hasher.bucket(bucket);
      try (Cursor c = view.cursor(bucket, null, null)) {
        while (c.next()) {
          byte[] key = c.key();
          byte[] value = c.value();
          data.writeByte(bucket.id());
          data.writeInt(key.length);
          data.write(key);
          data.writeInt(value.length);
          data.write(value);
          hasher.pair(key, value);
        }
      }
      hasher.endBucket();
    }
    data.writeByte(0);
    SnapshotHeader header = new SnapshotHeader(
        readUint64(view.get(Bucket.META, TERM)), readUint64(view.get(Bucket.META, CONSISTENT_INDEX)),
        hasher.digest());
    data.writeLong(header.term());
    data.writeLong(header.index());
    data.writeInt(header.canonicalHash().length);
    data.write(header.canonicalHash());
    data.flush();
    return header;
  }

  /**
   * Reads a stream written by {@link #write} into {@code target} (expected empty), committing every
   * {@code batchSize} pairs, then syncs it and verifies that the canonical hash of what
   * {@code target} holds equals the leader's.
   *
   * @throws SnapshotException if the stream is malformed or a hash differs; {@code target} is then
   *     garbage and must be discarded by the caller
   */
  public static SnapshotHeader read(InputStream in, Backend target, int batchSize) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] magic = new byte[MAGIC.length];
    data.readFully(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new SnapshotException("not a Strata logical snapshot stream");
    }
    Hasher hasher = new Hasher();
    int lastBucket = 0;
    long pairs = 0;
    WriteBatch batch = target.newBatch();
    while (true) {
      int id = data.readUnsignedByte();
      if (id == 0) {
        break;
      }
      if (id < lastBucket) {
        throw new SnapshotException("buckets out of order: " + id + " after " + lastBucket);
      }
      Bucket bucket = Bucket.byId(id);
      // the hash covers every bucket, empty ones included: account for the ones skipped so far
      lastBucket = hashUpTo(hasher, lastBucket, id);
      byte[] key = readField(data);
      byte[] value = readField(data);
      hasher.pair(key, value);
      batch.put(bucket, key, value);
      pairs++;
      if (batch.size() >= batchSize) {
        target.commit(batch);
        batch = target.newBatch();
      }
    }
    hashUpTo(hasher, lastBucket, Integer.MAX_VALUE);
    if (batch.size() > 0) {
      target.commit(batch);
    }
    long term = data.readLong();
    long index = data.readLong();
    int hashLen = data.readInt();
    if (hashLen != 32) {
      throw new SnapshotException("bad hash length " + hashLen);
    }
    byte[] sent = new byte[hashLen];
    data.readFully(sent);
    SnapshotHeader header = new SnapshotHeader(term, index, sent);
    byte[] received = hasher.digest();
    if (!Arrays.equals(received, sent)) {
      throw new SnapshotException("stream content hash " + HexFormat.of().formatHex(received)
          + " differs from the leader's " + header + " after " + pairs + " pairs");
    }
    target.sync();
    String stored = CanonicalHash.hex(target);
    if (!stored.equals(HexFormat.of().formatHex(sent))) {
      throw new SnapshotException("installed backend hash " + stored + " differs from the leader's " + header);
    }
    return header;
  }

  /**
   * Moves the hash from bucket {@code open} (0 = none open yet) to bucket {@code next}
   * ({@code Integer.MAX_VALUE} = past the last): closes {@code open}, hashes the empty buckets in
   * between as the leader's {@link CanonicalHash} does, and opens {@code next}. Returns {@code next}.
   */
  private static int hashUpTo(Hasher hasher, int open, int next) {
    if (open == next) {
      return next;
    }
    if (open != 0) {
      hasher.endBucket();
    }
    for (Bucket b : Bucket.values()) {
      if (b.id() > open && b.id() < next) {
        hasher.bucket(b);
        hasher.endBucket();
      }
    }
    if (next != Integer.MAX_VALUE) {
      hasher.bucket(Bucket.byId(next));
    }
    return next;
  }

  private static byte[] readField(DataInputStream data) throws IOException {
    int len = data.readInt();
    if (len < 0 || len > MAX_FIELD) {
      throw new SnapshotException("bad field length " + len);
    }
    byte[] b = new byte[len];
    data.readFully(b);
    return b;
  }

  private static long readUint64(byte[] b) {
    if (b == null) {
      return 0;
    }
    if (b.length != 8) {
      throw new SnapshotException("META value has " + b.length + " bytes, expected 8");
    }
    return ByteBuffer.wrap(b).getLong();
  }

  /** Incremental {@link CanonicalHash}: the same bytes in the same order (its Javadoc's format). */
  private static final class Hasher {
    private final MessageDigest sha;
    private final ByteBuffer buf = ByteBuffer.allocate(4);

    Hasher() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has SHA-256", e);
      }
    }

    void bucket(Bucket b) {
      writeInt(b.id());
    }

    void pair(byte[] key, byte[] value) {
      writeInt(key.length);
      sha.update(key);
      writeInt(value.length);
      sha.update(value);
    }

    void endBucket() {
      writeInt(0);
    }

    byte[] digest() {
      return sha.digest();
    }

    private void writeInt(int v) {
      buf.clear();
      buf.putInt(v);
      sha.update(buf.array(), 0, 4);
    }
  }
}
