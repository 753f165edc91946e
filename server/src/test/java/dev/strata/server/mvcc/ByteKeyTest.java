package dev.strata.server.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteKeyTest {

  /**
   * The 8-byte head shortcut must order exactly as unsigned lexicographic comparison (Go's
   * bytes.Compare), including keys shorter than 8 bytes, zero bytes against the padding, and keys that
   * share their first 8 bytes.
   */
  @Test
  void ordersAsUnsignedLexicographicComparison() {
    long seed = System.nanoTime();
    System.out.println("ByteKeyTest seed=" + seed);
    Random random = new Random(seed);
    byte[] alphabet = {0, 0, 1, 0x7f, (byte) 0x80, (byte) 0xff, 'a'};
    for (int i = 0; i < 200_000; i++) {
      byte[] a = randomKey(random, alphabet);
      byte[] b = random.nextInt(4) == 0 ? mutate(a, random, alphabet) : randomKey(random, alphabet);
      int expected = Integer.signum(Arrays.compareUnsigned(a, b));
      assertThat(Integer.signum(ByteKey.wrap(a).compareTo(ByteKey.wrap(b))))
          .as("seed %d: %s vs %s", seed, Arrays.toString(a), Arrays.toString(b)).isEqualTo(expected);
    }
  }

  @Test
  void aPrefixSortsBeforeItsExtensionsEvenByZeroBytes() {
    assertThat(ByteKey.wrap(new byte[] {'a'}).compareTo(ByteKey.wrap(new byte[] {'a', 0}))).isNegative();
    assertThat(ByteKey.wrap(new byte[] {}).compareTo(ByteKey.wrap(new byte[] {0}))).isNegative();
    byte[] eight = {1, 2, 3, 4, 5, 6, 7, 8};
    byte[] nine = {1, 2, 3, 4, 5, 6, 7, 8, 0};
    assertThat(ByteKey.wrap(eight).compareTo(ByteKey.wrap(nine))).isNegative();
    assertThat(ByteKey.wrap(nine).compareTo(ByteKey.wrap(eight))).isPositive();
    assertThat(ByteKey.wrap(nine.clone()).compareTo(ByteKey.wrap(nine))).isZero();
  }

  private static byte[] randomKey(Random random, byte[] alphabet) {
    byte[] k = new byte[random.nextInt(12)];
    for (int i = 0; i < k.length; i++) {
      k[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return k;
  }

  /** A near neighbour: cut, extend, or change one byte. */
  private static byte[] mutate(byte[] a, Random random, byte[] alphabet) {
    return switch (random.nextInt(3)) {
      case 0 -> Arrays.copyOf(a, random.nextInt(a.length + 1));
      case 1 -> Arrays.copyOf(a, a.length + 1 + random.nextInt(3));
      default -> {
        byte[] b = a.clone();
        if (b.length > 0) {
          b[random.nextInt(b.length)] = alphabet[random.nextInt(alphabet.length)];
        }
        yield b;
      }
    };
  }

  /** A large transaction's write set is a hash map keyed by revision keys that share all but their sub. */
  @Test
  void revisionKeysOfOneLargeTransactionHashApart() {
    Set<Integer> hashes = new HashSet<>();
    int n = 200_000;
    for (int sub = 0; sub < n; sub++) {
      hashes.add(ByteKey.wrap(new Revision(1_234_567, sub).toKey(sub % 2 == 0)).hashCode());
    }
    assertThat(hashes).hasSize(n);
  }

  @Test
  void equalKeysHashAlikeAndTheHashIsStable() {
    byte[] a = "/registry/pods/default/web-0".getBytes(StandardCharsets.UTF_8);
    assertThat(ByteKey.wrap(a.clone()).hashCode()).isEqualTo(ByteKey.wrap(a.clone()).hashCode());
    assertThat(ByteKey.wrap(a.clone())).isEqualTo(ByteKey.wrap(a.clone()));
    assertThat(ByteKey.hashOf(new byte[] {1})).isNotEqualTo(ByteKey.hashOf(new byte[] {0, 1}));
  }
}
