package dev.strata.server.snapshot;

import java.util.HexFormat;

/**
 * What a leader's snapshot stream promises: the Raft (term, index) applied into the content (read
 * from META in the same read view) and the content's {@code CanonicalHash}.
 */
public record SnapshotHeader(long term, long index, byte[] canonicalHash) {

  @Override
  public String toString() {
    return "SnapshotHeader[term=" + term + ", index=" + index + ", hash="
        + HexFormat.of().formatHex(canonicalHash) + "]";
  }
}
