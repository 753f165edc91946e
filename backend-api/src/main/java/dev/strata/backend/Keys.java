package dev.strata.backend;

import java.util.Arrays;

/** Key validation and unsigned byte order, shared by every engine so they reject the same input. */
public final class Keys {

  private Keys() {}

  /** @throws IllegalArgumentException if {@code key} is null, empty or longer than {@link Backend#MAX_KEY_BYTES} */
  public static void checkKey(byte[] key) {
    if (key == null || key.length == 0) {
      throw new IllegalArgumentException("key must not be null or empty");
    }
    if (key.length > Backend.MAX_KEY_BYTES) {
      throw new IllegalArgumentException(
          "key is " + key.length + " bytes; the limit is " + Backend.MAX_KEY_BYTES);
    }
  }

  /** Unsigned lexicographic comparison, the order every engine iterates in. */
  public static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  /** True if {@code key} lies in {@code [from, to)}; {@code null} bounds are open. */
  public static boolean inRange(byte[] key, byte[] from, byte[] to) {
    return (from == null || compare(key, from) >= 0) && (to == null || compare(key, to) < 0);
  }
}
