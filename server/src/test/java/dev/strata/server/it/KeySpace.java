package dev.strata.server.it;

import static dev.strata.server.it.Protos.bs;
import static dev.strata.server.it.Protos.raw;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Random;

/**
 * A small, skewed key space and value sizes, so that generated operations collide: the first keys
 * are hot, prefixes nest, and bytes 0x00 and 0xff exercise unsigned ordering and prefix ends.
 */
final class KeySpace {
  static final List<ByteString> KEYS = List.of(bs("a"), bs("a/1"), bs("b"), bs("a/2"), bs("foo"),
      bs("a/b/c"), bs("ab"), bs("b/1"), bs("foo/bar"), raw('a', 0xff), bs("z"), raw(0xff),
      raw('a', 0), raw(0), raw(0xff, 0xff), bs("k0"));
  private static final List<ByteString> COMMON_VALUES = List.of(ByteString.EMPTY, bs("v"), bs("x"),
      bs("same-value"));

  private final Random rnd;

  KeySpace(Random rnd) {
    this.rnd = rnd;
  }

  /** A key, hot keys first (quadratic skew). */
  ByteString key() {
    double r = rnd.nextDouble();
    return KEYS.get((int) (KEYS.size() * r * r));
  }

  /** Mostly small values, a few common ones (ties when sorting by value), rarely up to 200 KB. */
  ByteString value() {
    double r = rnd.nextDouble();
    if (r < 0.15) {
      return COMMON_VALUES.get(rnd.nextInt(COMMON_VALUES.size()));
    }
    int size;
    if (r < 0.75) {
      size = 1 + rnd.nextInt(16);
    } else if (r < 0.93) {
      size = 17 + rnd.nextInt(240);
    } else if (r < 0.99) {
      size = 257 + rnd.nextInt(4096);
    } else if (r < 0.998) {
      size = 4097 + rnd.nextInt(60_000);
    } else {
      size = 65_537 + rnd.nextInt(140_000);
    }
    return bytes(size);
  }

  ByteString bytes(int size) {
    byte[] b = new byte[size];
    rnd.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  /** A [key, rangeEnd) pair of one of the shapes etcd distinguishes; rangeEnd empty = one key. */
  ByteString[] interval(boolean allowBackwards) {
    ByteString key = key();
    int shape = rnd.nextInt(100);
    if (shape < 45) {
      return new ByteString[] {key, ByteString.EMPTY};
    } else if (shape < 70) {
      return new ByteString[] {key, Protos.prefixEnd(key)};
    } else if (shape < 78) {
      return new ByteString[] {key, raw(0)};
    } else if (shape < 82) {
      return new ByteString[] {raw(0), raw(0)};
    } else {
      ByteString other = key();
      boolean ordered = Protos.UNSIGNED.compare(key, other) <= 0;
      if (shape < 95 || !allowBackwards) {
        return ordered ? new ByteString[] {key, other} : new ByteString[] {other, key};
      }
      return ordered ? new ByteString[] {other, key} : new ByteString[] {key, other};
    }
  }
}
