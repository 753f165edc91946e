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
  private final int hash;

  private ByteKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
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
    return o instanceof ByteKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return ByteString.copyFrom(bytes).toStringUtf8();
  }
}
