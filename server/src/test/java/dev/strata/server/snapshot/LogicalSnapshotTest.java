package dev.strata.server.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.backend.Backend;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.ReadView;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The logical stream between any two engines: content, (term, index) and hash survive the trip. */
class LogicalSnapshotTest {

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"btree,btree", "lsm,lsm", "btree,lsm", "lsm,btree"})
  void copiesContentBetweenEngines(String from, String to) throws Exception {
    try (Backend src = SnapshotEngines.open(from, tmp.resolve("src"));
        Backend dst = SnapshotEngines.open(to, tmp.resolve("dst"))) {
      SnapshotEngines.fill(src, 2_500, 100, 3, 4_242);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      SnapshotHeader sent;
      try (ReadView view = src.readView()) {
        sent = LogicalSnapshot.write(view, bytes);
      }
      assertThat(sent.term()).isEqualTo(3);
      assertThat(sent.index()).isEqualTo(4_242);
      assertThat(HexFormat.of().formatHex(sent.canonicalHash())).isEqualTo(CanonicalHash.hex(src));

      // small batches: the reader must commit many times and still end with the whole content
      SnapshotHeader got = LogicalSnapshot.read(new ByteArrayInputStream(bytes.toByteArray()), dst, 100);

      assertThat(got.term()).isEqualTo(3);
      assertThat(got.index()).isEqualTo(4_242);
      assertThat(CanonicalHash.hex(dst)).isEqualTo(CanonicalHash.hex(src));
    }
  }

  @ParameterizedTest
  @CsvSource({"btree", "lsm"})
  void emptyBackendRoundTrips(String engine) throws Exception {
    try (Backend src = SnapshotEngines.open(engine, tmp.resolve("src"));
        Backend dst = SnapshotEngines.open(engine, tmp.resolve("dst"))) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ReadView view = src.readView()) {
        LogicalSnapshot.write(view, bytes);
      }
      SnapshotHeader got = LogicalSnapshot.read(new ByteArrayInputStream(bytes.toByteArray()), dst, 10);
      assertThat(got.index()).isZero();
      assertThat(CanonicalHash.hex(dst)).isEqualTo(CanonicalHash.hex(src));
    }
  }

  @ParameterizedTest
  @CsvSource({"btree", "lsm"})
  void corruptedStreamIsRefused(String engine) throws Exception {
    try (Backend src = SnapshotEngines.open(engine, tmp.resolve("src"));
        Backend dst = SnapshotEngines.open(engine, tmp.resolve("dst"))) {
      SnapshotEngines.fill(src, 50, 64, 2, 99);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ReadView view = src.readView()) {
        LogicalSnapshot.write(view, bytes);
      }
      byte[] wire = bytes.toByteArray();
      wire[wire.length / 2] ^= 0x01; // inside some KEY value: framing intact, content wrong

      assertThatThrownBy(() -> LogicalSnapshot.read(new ByteArrayInputStream(wire), dst, 10))
          .isInstanceOf(SnapshotException.class)
          .hasMessageContaining("hash");
    }
  }
}
