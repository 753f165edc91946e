package dev.strata.server.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RevisionTest {

  @Test
  void encodesLikeEtcd() {
    // etcd revToBytes(revision{main: 0x0102, sub: 3}): 8-byte BE main, '_', 8-byte BE sub.
    assertThat(HexFormat.of().formatHex(new Revision(0x0102, 3).toBytes()))
        .isEqualTo("0000000000000102" + "5f" + "0000000000000003");
    assertThat(new Revision(5, 1).toKey(true)).hasSize(18).endsWith('t');
    assertThat(new Revision(5, 1).toKey(false)).isEqualTo(new Revision(5, 1).toBytes());
  }

  @Test
  void roundTripsAndDetectsTombstones() {
    Revision r = new Revision(Long.MAX_VALUE, 77);
    assertThat(Revision.fromBytes(r.toBytes())).isEqualTo(r);
    assertThat(Revision.fromBytes(r.toKey(true))).isEqualTo(r);
    assertThat(Revision.isTombstone(r.toKey(true))).isTrue();
    assertThat(Revision.isTombstone(r.toBytes())).isFalse();
    assertThatThrownBy(() -> Revision.fromBytes(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    byte[] wrongMark = r.toKey(true);
    wrongMark[17] = 'x';
    assertThatThrownBy(() -> Revision.fromBytes(wrongMark)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void byteOrderIsRevisionOrder() {
    Revision[] revs = {new Revision(1, 0), new Revision(1, 1), new Revision(2, 0), new Revision(256, 0),
        new Revision(256, 300), new Revision(1L << 40, 0)};
    for (int i = 0; i + 1 < revs.length; i++) {
      assertThat(revs[i]).isLessThan(revs[i + 1]);
      assertThat(Arrays.compareUnsigned(revs[i].toKey(true), revs[i + 1].toBytes())).isNegative();
      assertThat(revs[i + 1].greaterThan(revs[i])).isTrue();
    }
    // The tombstone key sorts right after the plain key of the same revision and before the next.
    assertThat(Arrays.compareUnsigned(revs[0].toBytes(), revs[0].toKey(true))).isNegative();
    assertThat(Arrays.compareUnsigned(Revision.mainPrefix(2), new Revision(1, Long.MAX_VALUE).toKey(true)))
        .isPositive();
  }

  @Test
  void metaEncodings() {
    assertThat(HexFormat.of().formatHex(Meta.uint64(258))).isEqualTo("0000000000000102");
    assertThat(Meta.readUint64(null)).isZero();
    assertThat(Meta.compactRev(9)).isEqualTo(new Revision(9, 0).toBytes());
    assertThat(Meta.readCompactRev(null, -1)).isEqualTo(-1);
    assertThat(Meta.readCompactRev(Meta.compactRev(9), -1)).isEqualTo(9);
  }
}
