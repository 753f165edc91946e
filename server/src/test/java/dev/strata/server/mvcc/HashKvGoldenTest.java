package dev.strata.server.mvcc;

import static dev.strata.server.mvcc.Req.op;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.HashKVResponse;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HashKV must equal real etcd's for the same history. The expected values were produced with etcd
 * 3.4.23 (/usr/bin/etcd, fresh --data-dir, one member) by applying exactly the operations below with
 * etcdctl 3.4.23 and reading {@code etcdctl endpoint hashkv [--rev=N] -w json}:
 * <pre>
 *   put a 1; put b 2; put a 3; del b
 *   printf '\nput c 4\nput d 5\ndel a\n\n\n' | etcdctl txn
 *   put b 6; del zz; put e ""; put a 7           -> H1
 *   compact 6 --physical                           -> H2
 *   put f 8; del c                                 -> H3
 *   compact 11 --physical                          -> H4
 *   del "" --from-key                              -> H5
 *   compact 12 --physical                          -> H6
 * </pre>
 */
class HashKvGoldenTest extends StoreHarness {

  private static final String ENGINES = "dev.strata.server.mvcc.TestEngines#names";

  /** etcd's hash of an empty KEY bucket: CRC-32C of "key". */
  private static final long EMPTY = 1084519789L;

  private void history(boolean physical) {
    put("a", "1");
    put("b", "2");
    put("a", "3");
    store.deleteRange(Req.del("b"));
    store.txn(Req.txn(List.of(), List.of(op(Req.put("c", "4")), op(Req.put("d", "5")), op(Req.del("a"))),
        List.of()));
    put("b", "6");
    store.deleteRange(Req.del("zz"));
    put("e", "");
    put("a", "7");
    assertThat(store.currentRevision()).isEqualTo(9);
    expect(0, 2105618310L, 9, -1);
    expect(5, 1125682900L, 9, -1);
    expect(6, 3071562260L, 9, -1);
    expect(2, 2587454935L, 9, -1);
    expect(1, EMPTY, 9, -1);

    compact(6, physical);
    expect(0, 2811373580L, 9, 6);
    expect(7, 2823915401L, 9, 6);
    assertThat(Req.errorOf(() -> store.hashKV(6))).isEqualTo(EtcdError.COMPACTED);

    put("f", "8");
    store.deleteRange(Req.del("c"));
    expect(0, 546500394L, 11, 6);
    expect(10, 1188186728L, 11, 6);

    compact(11, physical); // the tombstone of c sits exactly at the compaction revision
    expect(0, 4191713935L, 11, 11);

    assertThat(store.deleteRange(Req.del("\0", "\0")).getDeleted()).isEqualTo(5);
    expect(0, 934387922L, 12, 11);
    assertThat(Req.errorOf(() -> store.hashKV(11))).isEqualTo(EtcdError.COMPACTED);

    compact(12, physical);
    expect(0, EMPTY, 12, 12);
  }

  private void compact(long rev, boolean physical) {
    store.compact(CompactionRequest.newBuilder().setRevision(rev).setPhysical(physical).build());
  }

  private void expect(long rev, long hash, long current, long compactRev) {
    HashKVResponse r = store.hashKV(rev);
    assertThat(Integer.toUnsignedLong(r.getHash())).as("hash at %d", rev).isEqualTo(hash);
    assertThat(r.getHeader().getRevision()).isEqualTo(current);
    assertThat(r.getCompactRevision()).isEqualTo(compactRev);
    assertThat(r.getUnknownFields().getField(MvccStore.HASH_REVISION_FIELD).getVarintList())
        .containsExactly(rev == 0 ? current : rev);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void matchesEtcdWithPhysicalCompaction(String engine) {
    open(engine);
    expect(0, EMPTY, 1, -1);
    history(true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void matchesEtcdWhilePhysicalCompactionIsPending(String engine) {
    open(engine); // commitIfDue is never called: every compaction stays unfinished until the next
    history(false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void matchesEtcdAfterRestartMidHistory(String engine) {
    open(engine);
    put("a", "1");
    put("b", "2");
    put("a", "3");
    store.deleteRange(Req.del("b"));
    reopen();
    store.txn(Req.txn(List.of(), List.of(op(Req.put("c", "4")), op(Req.put("d", "5")), op(Req.del("a"))),
        List.of()));
    put("b", "6");
    put("e", "");
    put("a", "7");
    compact(6, false);
    reopen(); // resumes the unfinished physical compaction
    expect(0, 2811373580L, 9, 6);
    expect(7, 2823915401L, 9, 6);
  }
}
