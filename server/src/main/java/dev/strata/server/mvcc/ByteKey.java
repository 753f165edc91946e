package dev.strata.server.mvcc;

import com.google.protobuf.ByteString;
import java.util.Arrays;

/**
 * An immutable byte string ordered by unsigned lexicographic order (Go's {@code bytes.Compare}), used
 * as a map key for user keys in the key index and for KEY bucket keys in the read buffer.
 * The wrapped array is never exposed for modification: callers hand over ownership at construction.
 */
final class ByteKey implements Comparable<ByteKey> {

  private final byte[] bytes;
  /** Computed on first use: most keys only ever sit in ordered maps. 0 = not computed yet. */
  private int hash;

  private ByteKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps {@code bytes} without copying: the caller must not modify the array afterwards. */
  static ByteKey wrap(byte[] bytes) {
    return new ByteKey(bytes);
  }

  static ByteKey of(ByteString s) {
    return new ByteKey(s.toByteArray());
  }

  /** The wrapped bytes; callers must not modify them. */
  byte[] bytes() {
    return bytes;
  }

  ByteString toByteString() {
    return ByteString.copyFrom(bytes);
  }

  @Override
  public int compareTo(ByteKey o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ByteKey k && hashCode() == k.hashCode() && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(bytes);
      hash = h; // racy but idempotent, as String.hash
    }
    return h;
  }

  @Override
  public String toString() {
    return ByteString.copyFrom(bytes).toStringUtf8();
  }
}
