package dev.strata.server.mvcc;

import static dev.strata.server.mvcc.Req.bs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.backend.WriteBatch;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.CompactionRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Compaction rules, key history kept, physical deletion and its resumption (reference doc section 6). */
class MvccCompactionTest extends StoreHarness {

  private static final String ENGINES = "dev.strata.server.mvcc.TestEngines#names";

  private void compact(long rev, boolean physical) {
    long header = store.compact(CompactionRequest.newBuilder().setRevision(rev).setPhysical(physical).build())
        .getHeader().getRevision();
    assertThat(header).as("Compact reports the current revision").isEqualTo(store.currentRevision());
  }

  /** KEY bucket keys as "main_sub" or "main_sub(t)", from committed data. */
  private List<String> keyBucket() {
    List<String> out = new ArrayList<>();
    try (ReadView v = backend.readView(); Cursor c = v.cursor(Bucket.KEY, null, null)) {
      while (c.next()) {
        byte[] k = c.key();
        out.add(Revision.fromBytes(k) + (Revision.isTombstone(k) ? "(t)" : ""));
      }
    }
    return out;
  }

  private byte[] meta(byte[] key) {
    try (ReadView v = backend.readView()) {
      return v.get(Bucket.META, key);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void revisionRules(String engine) {
    open(engine);
    assertThat(Req.errorOf(() -> compact(2, true))).isEqualTo(EtcdError.FUTURE_REV);
    compact(0, true); // a fresh store has compactRev -1, so 0 is allowed
    assertThat(store.compactRevision()).isZero();
    assertThat(Req.errorOf(() -> compact(0, true))).isEqualTo(EtcdError.COMPACTED);
    compact(1, true);
    assertThat(Req.errorOf(() -> compact(1, true))).isEqualTo(EtcdError.COMPACTED);
    put("a", "1");
    compact(2, false);
    assertThat(store.currentRevision()).as("compaction never changes the revision").isEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void readsAtAndAboveTheCompactionRevision(String engine) {
    open(engine);
    put("a", "1"); // 2
    put("a", "2"); // 3
    put("b", "1"); // 4
    store.deleteRange(Req.del("b")); // 5
    put("a", "3"); // 6
    compact(4, true);
    assertThat(store.range(Req.get("a").toBuilder().setRevision(4).build()).getKvs(0).getValue())
        .isEqualTo(bs("2"));
    assertThat(keys(store.range(Req.all().toBuilder().setRevision(4).build()))).containsExactly("a", "b");
    assertThat(Req.errorOf(() -> store.range(Req.get("a").toBuilder().setRevision(3).build())))
        .isEqualTo(EtcdError.COMPACTED);
    assertThat(Req.errorOf(() -> store.range(Req.get("a").toBuilder().setRevision(7).build())))
        .as("future is checked before compacted").isEqualTo(EtcdError.FUTURE_REV);
    // Kept: a@3 (latest <= 4), b@4, b's tombstone @5, a@6.
    assertThat(keyBucket()).containsExactly("3_0", "4_0", "5_0(t)", "6_0");
    assertThat(kv("a").getVersion()).isEqualTo(3);
    assertThat(kv("a").getCreateRevision()).isEqualTo(2);

    compact(5, true); // b's tombstone at exactly 5 goes too (etcd <= 3.4.33)
    assertThat(keyBucket()).containsExactly("3_0", "6_0");
    assertThat(Revision.fromBytes(meta(Meta.FINISHED_COMPACT_REV)).main()).isEqualTo(5);
    assertThat(Revision.fromBytes(meta(Meta.SCHEDULED_COMPACT_REV)).main()).isEqualTo(5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void physicalDeletionRunsInChunksWhenNotAskedToWait(String engine) {
    open(engine);
    int n = Compaction.CHUNK * 2 + 500;
    for (int i = 0; i < n; i++) {
      put("hot", Integer.toString(i));
    }
    put("other", "x");
    long rev = store.currentRevision();
    compact(rev - 1, false);
    assertThat(store.range(Req.get("hot")).getKvs(0).getVersion()).isEqualTo(n);
    assertThat(keyBucket()).hasSize(n + 1);
    assertThat(meta(Meta.FINISHED_COMPACT_REV)).isNull();
    store.commitIfDue();
    assertThat(keyBucket()).hasSize(n + 1 - Compaction.CHUNK);
    store.commitIfDue();
    store.commitIfDue();
    assertThat(keyBucket()).containsExactly((rev - 1) + "_0", rev + "_0");
    assertThat(Revision.fromBytes(meta(Meta.FINISHED_COMPACT_REV)).main()).isEqualTo(rev - 1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void restartFinishesAnInterruptedCompaction(String engine) {
    open(engine);
    put("a", "1"); // 2
    put("a", "2"); // 3
    put("b", "1"); // 4
    store.deleteRange(Req.del("b")); // 5
    put("c", "1"); // 6
    store.close();
    // A crash right after etcd persisted the schedule: only scheduledCompactRev is there.
    WriteBatch b = backend.newBatch();
    b.put(Bucket.META, Meta.SCHEDULED_COMPACT_REV, Meta.compactRev(5));
    backend.commit(b);
    reopen();
    assertThat(store.compactRevision()).isEqualTo(5);
    assertThat(store.currentRevision()).isEqualTo(6);
    assertThat(keyBucket()).containsExactly("3_0", "6_0");
    assertThat(Revision.fromBytes(meta(Meta.FINISHED_COMPACT_REV)).main()).isEqualTo(5);
    assertThat(keys(store.range(Req.all()))).containsExactly("a", "c");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void revisionSurvivesCompactingEverythingAway(String engine) {
    open(engine);
    put("a", "1"); // 2
    store.deleteRange(Req.del("a")); // 3
    compact(3, true);
    assertThat(keyBucket()).isEmpty();
    reopen();
    assertThat(store.currentRevision()).as("restored from finishedCompactRev").isEqualTo(3);
    assertThat(put("a", "2")).isEqualTo(4);
    assertThat(kv("a").getVersion()).isEqualTo(1);
  }
}
