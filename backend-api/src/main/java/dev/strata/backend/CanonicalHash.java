package dev.strata.backend;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Engine-independent SHA-256 of a backend's logical content: equal content gives an equal hash on any
 * engine, whatever its files look like. Used by the migrator, {@code strata-util hash}, the chaos
 * harness and corruption checks.
 *
 * <p>Format hashed: for each {@link Bucket} in id order: its id (4 bytes, big-endian); then for each
 * pair in key order: key length (4 bytes), key, value length (4 bytes), value; then 4 zero bytes (keys
 * are never empty, so the terminator is unambiguous).
 */
public final class CanonicalHash {

  private CanonicalHash() {}

  /** SHA-256 over every bucket of {@code view}. */
  public static byte[] of(ReadView view) {
    MessageDigest sha = sha256();
    ByteBuffer len = ByteBuffer.allocate(4);
    for (Bucket bucket : Bucket.values()) {
      writeInt(sha, len, bucket.id());
      try (Cursor c = view.cursor(bucket, null, null)) {
        while (c.next()) {
          byte[] key = c.key();
          byte[] value = c.value();
          writeInt(sha, len, key.length);
          sha.update(key);
          writeInt(sha, len, value.length);
          sha.update(value);
        }
      }
      writeInt(sha, len, 0);
    }
    return sha.digest();
  }

  /** {@link #of(ReadView)} over a fresh view of {@code backend}, as lower-case hex. */
  public static String hex(Backend backend) {
    try (ReadView view = backend.readView()) {
      return HexFormat.of().formatHex(of(view));
    }
  }

  private static void writeInt(MessageDigest sha, ByteBuffer buf, int v) {
    buf.clear();
    buf.putInt(v);
    sha.update(buf.array(), 0, 4);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
