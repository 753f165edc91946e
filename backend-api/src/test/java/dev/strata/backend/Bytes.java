package dev.strata.backend;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Small byte helpers for the engine test suites. */
public final class Bytes {

  private Bytes() {}

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** 8-byte big-endian encoding: sorts like the number for non-negative values. */
  public static byte[] be64(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  public static long be64(byte[] b) {
    return ByteBuffer.wrap(b).getLong();
  }

  /** Deterministic pseudo-random bytes: the same (seed, length) always gives the same array. */
  public static byte[] deterministic(long seed, int length) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  public static byte[] of(int... unsignedBytes) {
    byte[] b = new byte[unsignedBytes.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) unsignedBytes[i];
    }
    return b;
  }
}
