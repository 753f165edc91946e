package dev.strata.server.mvcc;

import static dev.strata.server.mvcc.Req.bs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeRequest.SortOrder;
import io.etcd.jetcd.api.RangeRequest.SortTarget;
import io.etcd.jetcd.api.RangeResponse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Range, Put and DeleteRange semantics (reference doc sections 3 and 4). */
class MvccKvTest extends StoreHarness {

  private static final String ENGINES = "dev.strata.server.mvcc.TestEngines#names";

  /** a=1@2 b=2@3 c=3@4 d=4@5, then a=5@6: revision 6. */
  private void fill() {
    put("a", "1");
    put("b", "2");
    put("c", "3");
    put("d", "4");
    put("a", "5");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void freshStore(String engine) {
    open(engine);
    assertThat(store.currentRevision()).isEqualTo(1);
    assertThat(store.compactRevision()).isEqualTo(-1);
    RangeResponse r = store.range(Req.all());
    assertThat(r.getKvsList()).isEmpty();
    assertThat(r.getCount()).isZero();
    assertThat(r.getHeader().getRevision()).isEqualTo(1);
    assertThat(store.appliedIndex()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void putFillsKeyValueFields(String engine) {
    open(engine);
    assertThat(put("k", "v1")).isEqualTo(2);
    put("other", "x");
    PutResponse r = store.put(Req.put("k", "v2").toBuilder().setPrevKv(true).build());
    assertThat(r.getHeader().getRevision()).isEqualTo(4);
    assertThat(r.getPrevKv()).isEqualTo(KeyValue.newBuilder().setKey(bs("k")).setValue(bs("v1"))
        .setCreateRevision(2).setModRevision(2).setVersion(1).build());
    assertThat(kv("k")).isEqualTo(KeyValue.newBuilder().setKey(bs("k")).setValue(bs("v2"))
        .setCreateRevision(2).setModRevision(4).setVersion(2).build());
    // Rewriting the same value still bumps revision and version.
    assertThat(put("k", "v2")).isEqualTo(5);
    assertThat(kv("k").getVersion()).isEqualTo(3);
    // prev_kv on a new key: no prev_kv.
    assertThat(store.put(Req.put("n", "1").toBuilder().setPrevKv(true).build()).hasPrevKv()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void ignoreValueIgnoreLeaseAndLeases(String engine) {
    open(engine);
    PutRequest ignoreValue = PutRequest.newBuilder().setKey(bs("k")).setIgnoreValue(true).build();
    assertThat(Req.errorOf(() -> store.put(ignoreValue))).isEqualTo(EtcdError.KEY_NOT_FOUND);
    assertThat(Req.errorOf(() -> store.put(Req.put("k", "v").toBuilder().setIgnoreLease(true).build())))
        .isEqualTo(EtcdError.KEY_NOT_FOUND);
    assertThat(store.currentRevision()).isEqualTo(1);

    put("k", "v");
    assertThat(store.put(ignoreValue).getHeader().getRevision()).isEqualTo(3);
    assertThat(kv("k").getValue()).isEqualTo(bs("v"));
    assertThat(kv("k").getVersion()).isEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void leaseMustExist(String engine) {
    backend = TestEngines.open(engine, tmp.resolve("backend"));
    this.engine = engine;
    store = MvccStore.open(backend, MvccOptions.defaults().withLeaseExists(id -> id == 7));
    assertThat(Req.errorOf(() -> store.put(Req.put("k", "v").toBuilder().setLease(8).build())))
        .isEqualTo(EtcdError.LEASE_NOT_FOUND);
    store.put(Req.put("k", "v").toBuilder().setLease(7).build());
    assertThat(kv("k").getLease()).isEqualTo(7);
    store.put(Req.put("k", "w").toBuilder().setIgnoreLease(true).build());
    assertThat(kv("k").getLease()).isEqualTo(7);
    store.put(Req.put("k", "x"));
    assertThat(kv("k").getLease()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void rangeBounds(String engine) {
    open(engine);
    fill();
    assertThat(keys(store.range(Req.get("b")))).containsExactly("b");
    assertThat(keys(store.range(Req.get("zz")))).isEmpty();
    assertThat(keys(store.range(Req.range("b", "d")))).containsExactly("b", "c");
    assertThat(keys(store.range(Req.range("b", "\0")))).containsExactly("b", "c", "d");
    assertThat(keys(store.range(Req.all()))).containsExactly("a", "b", "c", "d");
    assertThat(keys(store.range(Req.range("c", "b")))).isEmpty();
    assertThat(keys(store.range(Req.range("c", "c")))).isEmpty();
    put("ab", "x");
    put("a\u00ff", "y"); // UTF-8 c3 bf: unsigned order puts it after "ab"
    assertThat(keys(store.range(Req.range("a", "b")))).containsExactly("a", "ab", "a\u00ff");
    assertThat(store.range(Req.range("a", "b")).getHeader().getRevision()).isEqualTo(8);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void limitMoreCountCountOnlyKeysOnly(String engine) {
    open(engine);
    fill();
    RangeResponse r = store.range(Req.all().toBuilder().setLimit(2).build());
    assertThat(keys(r)).containsExactly("a", "b");
    assertThat(r.getMore()).isTrue();
    assertThat(r.getCount()).isEqualTo(4);
    r = store.range(Req.all().toBuilder().setLimit(4).build());
    assertThat(r.getMore()).isFalse();
    r = store.range(Req.all().toBuilder().setLimit(-3).build());
    assertThat(keys(r)).hasSize(4);
    r = store.range(Req.all().toBuilder().setCountOnly(true).setLimit(1).build());
    assertThat(r.getKvsList()).isEmpty();
    assertThat(r.getCount()).isEqualTo(4);
    assertThat(r.getMore()).isFalse();
    r = store.range(Req.all().toBuilder().setKeysOnly(true).build());
    assertThat(r.getKvsList()).allSatisfy(kv -> assertThat(kv.getValue().isEmpty()).isTrue());
    assertThat(r.getKvs(0).getVersion()).isEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void revisions(String engine) {
    open(engine);
    fill();
    RangeResponse r = store.range(Req.get("a").toBuilder().setRevision(3).build());
    assertThat(r.getKvs(0).getValue()).isEqualTo(bs("1"));
    assertThat(r.getHeader().getRevision()).as("header is the current revision").isEqualTo(6);
    assertThat(keys(store.range(Req.all().toBuilder().setRevision(3).build()))).containsExactly("a", "b");
    assertThat(keys(store.range(Req.all().toBuilder().setRevision(1).build()))).isEmpty();
    assertThat(keys(store.range(Req.all().toBuilder().setRevision(-5).build()))).hasSize(4);
    assertThat(Req.errorOf(() -> store.range(Req.all().toBuilder().setRevision(7).build())))
        .isEqualTo(EtcdError.FUTURE_REV);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void sortingAndFilters(String engine) {
    open(engine);
    fill(); // mod: a6 b3 c4 d5; create: a2 b3 c4 d5
    RangeRequest all = Req.all();
    assertThat(keys(store.range(all.toBuilder().setSortOrder(SortOrder.DESCEND).build())))
        .containsExactly("d", "c", "b", "a");
    // NONE with a non-key target sorts ascending on that target.
    assertThat(keys(store.range(all.toBuilder().setSortTarget(SortTarget.MOD).build())))
        .containsExactly("b", "c", "d", "a");
    assertThat(keys(store.range(all.toBuilder().setSortTarget(SortTarget.VALUE)
        .setSortOrder(SortOrder.DESCEND).build()))).containsExactly("a", "d", "c", "b");
    assertThat(keys(store.range(all.toBuilder().setSortTarget(SortTarget.CREATE)
        .setSortOrder(SortOrder.DESCEND).setLimit(2).build()))).containsExactly("d", "c");
    RangeResponse byVersion = store.range(all.toBuilder().setSortTarget(SortTarget.VERSION)
        .setSortOrder(SortOrder.DESCEND).setLimit(1).build());
    assertThat(keys(byVersion)).containsExactly("a");
    assertThat(byVersion.getMore()).isTrue();
    // An unknown order leaves the list unsorted (key order); an unknown target is rejected.
    assertThat(keys(store.range(all.toBuilder().setSortOrderValue(9).setSortTarget(SortTarget.MOD).build())))
        .containsExactly("a", "b", "c", "d");
    assertThat(Req.errorOf(() -> store.range(all.toBuilder().setSortTargetValue(99).build())))
        .isEqualTo(EtcdError.INVALID_SORT_OPTION);

    RangeResponse f = store.range(all.toBuilder().setMinModRevision(4).setMaxModRevision(5).build());
    assertThat(keys(f)).containsExactly("c", "d");
    assertThat(f.getCount()).as("count ignores filters").isEqualTo(4);
    f = store.range(all.toBuilder().setMinCreateRevision(3).setMaxCreateRevision(4).setLimit(1).build());
    assertThat(keys(f)).containsExactly("b");
    assertThat(f.getMore()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void deleteRange(String engine) {
    open(engine);
    fill();
    DeleteRangeResponse d = store.deleteRange(Req.del("zz"));
    assertThat(d.getDeleted()).isZero();
    assertThat(d.getHeader().getRevision()).as("nothing deleted: no bump").isEqualTo(6);
    assertThat(store.currentRevision()).isEqualTo(6);

    d = store.deleteRange(Req.del("b", "d").toBuilder().setPrevKv(true).build());
    assertThat(d.getDeleted()).isEqualTo(2);
    assertThat(d.getHeader().getRevision()).isEqualTo(7);
    assertThat(d.getPrevKvsList()).extracting(Req::key).containsExactly("b", "c");
    assertThat(keys(store.range(Req.all()))).containsExactly("a", "d");
    assertThat(keys(store.range(Req.all().toBuilder().setRevision(6).build()))).hasSize(4);

    // Recreating starts a new generation: version 1, new create revision.
    put("b", "again");
    assertThat(kv("b").getVersion()).isEqualTo(1);
    assertThat(kv("b").getCreateRevision()).isEqualTo(8);
    assertThat(store.deleteRange(Req.del("\0", "\0")).getDeleted()).isEqualTo(3);
    assertThat(store.range(Req.all()).getCount()).isZero();
    assertThat(store.currentRevision()).isEqualTo(9);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void emptyKeyIsRejected(String engine) {
    open(engine);
    assertThat(Req.errorOf(() -> store.put(Req.put("", "v")))).isEqualTo(EtcdError.KEY_NOT_PROVIDED);
    assertThat(Req.errorOf(() -> store.range(Req.get("")))).isEqualTo(EtcdError.KEY_NOT_PROVIDED);
    assertThatThrownBy(() -> store.deleteRange(Req.del(""))).isInstanceOf(EtcdException.class);
  }
}
