package dev.strata.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The jetcd client's KV API (put/get/delete/txn/compact with their options) against one member per
 * engine, shared by the test methods; each method works under its own key prefix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KvJetcdIT {
  private final Map<String, ServerProcess> members = new HashMap<>();
  private final Map<String, Client> clients = new HashMap<>();

  @AfterAll
  void stopMembers() {
    clients.values().forEach(Client::close);
    members.values().forEach(ServerProcess::close);
  }

  private KV kv(String engine) {
    return clients.computeIfAbsent(engine, e -> {
      ServerProcess member = members.computeIfAbsent(e, Members::start);
      return Client.builder().endpoints(member.clientUrl()).build();
    }).getKVClient();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void putThenGetTracksVersionsAndPrevKv(String engine) throws Exception {
    KV kv = kv(engine);
    long r1 = await(kv.put(bs("put/k"), bs("v1"))).getHeader().getRevision();
    KeyValue first = single(await(kv.get(bs("put/k"))));
    assertThat(first.getValue()).isEqualTo(bs("v1"));
    assertThat(first.getVersion()).isEqualTo(1);
    assertThat(first.getCreateRevision()).isEqualTo(r1);
    assertThat(first.getModRevision()).isEqualTo(r1);

    var second = await(kv.put(bs("put/k"), bs("v2"), PutOption.builder().withPrevKV().build()));
    assertThat(second.hasPrevKv()).isTrue();
    assertThat(second.getPrevKv().getValue()).isEqualTo(bs("v1"));
    assertThat(second.getHeader().getRevision()).isEqualTo(r1 + 1);
    KeyValue now = single(await(kv.get(bs("put/k"))));
    assertThat(now.getVersion()).isEqualTo(2);
    assertThat(now.getCreateRevision()).isEqualTo(r1);
    assertThat(now.getModRevision()).isEqualTo(r1 + 1);
    assertThat(await(kv.get(bs("put/absent"))).getKvs()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void getHonoursEveryOption(String engine) throws Exception {
    KV kv = kv(engine);
    long[] revs = new long[5];
    List<String> names = List.of("a", "b", "c", "d", "e");
    for (int i = 0; i < names.size(); i++) {
      revs[i] = await(kv.put(bs("get/" + names.get(i)), bs("value-" + (4 - i)))).getHeader().getRevision();
    }
    ByteSequence prefix = bs("get/");
    GetResponse all = await(kv.get(prefix, GetOption.builder().isPrefix(true).build()));
    assertThat(keys(all)).containsExactly("get/a", "get/b", "get/c", "get/d", "get/e");
    assertThat(all.getCount()).isEqualTo(5);
    assertThat(all.isMore()).isFalse();

    GetResponse limited = await(kv.get(prefix, GetOption.builder().isPrefix(true).withLimit(2).build()));
    assertThat(keys(limited)).containsExactly("get/a", "get/b");
    assertThat(limited.isMore()).isTrue();
    assertThat(limited.getCount()).isEqualTo(5);

    assertThat(keys(await(kv.get(prefix, GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.DESCEND).build()))))
        .containsExactly("get/e", "get/d", "get/c", "get/b", "get/a");
    assertThat(keys(await(kv.get(prefix, GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.VALUE).withSortOrder(GetOption.SortOrder.ASCEND).withLimit(2).build()))))
        .containsExactly("get/e", "get/d");
    assertThat(keys(await(kv.get(prefix, GetOption.builder().isPrefix(true)
        .withSortField(GetOption.SortTarget.MOD).withSortOrder(GetOption.SortOrder.DESCEND).build()))))
        .containsExactly("get/e", "get/d", "get/c", "get/b", "get/a");

    GetResponse keysOnly = await(kv.get(prefix, GetOption.builder().isPrefix(true).withKeysOnly(true).build()));
    assertThat(keysOnly.getKvs()).hasSize(5).allSatisfy(k -> assertThat(k.getValue().isEmpty()).isTrue());
    GetResponse countOnly = await(kv.get(prefix, GetOption.builder().isPrefix(true).withCountOnly(true).build()));
    assertThat(countOnly.getKvs()).isEmpty();
    assertThat(countOnly.getCount()).isEqualTo(5);

    GetResponse past = await(kv.get(prefix, GetOption.builder().isPrefix(true).withRevision(revs[2]).build()));
    assertThat(keys(past)).containsExactly("get/a", "get/b", "get/c");
    assertThat(past.getHeader().getRevision()).isGreaterThanOrEqualTo(revs[4]);
    assertThat(keys(await(kv.get(prefix, GetOption.builder().isPrefix(true).withMinModRevision(revs[3]).build()))))
        .containsExactly("get/d", "get/e");
    assertThat(keys(await(kv.get(prefix, GetOption.builder().isPrefix(true).withMaxCreateRevision(revs[1]).build()))))
        .containsExactly("get/a", "get/b");
    assertThat(keys(await(kv.get(bs("get/b"), GetOption.builder().withRange(bs("get/d")).build()))))
        .containsExactly("get/b", "get/c");
    assertThat(keys(await(kv.get(bs("get/c"), GetOption.builder().withRange(bs("\0")).withSerializable(true).build()))))
        .startsWith("get/c", "get/d", "get/e");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void deleteSingleAndPrefix(String engine) throws Exception {
    KV kv = kv(engine);
    for (String k : List.of("del/a", "del/b", "del/c", "del/d")) {
      await(kv.put(bs(k), bs(k + "-v")));
    }
    var one = await(kv.delete(bs("del/a"), DeleteOption.builder().withPrevKV(true).build()));
    assertThat(one.getDeleted()).isEqualTo(1);
    assertThat(one.getPrevKvs()).singleElement().satisfies(p -> assertThat(p.getValue()).isEqualTo(bs("del/a-v")));
    long before = one.getHeader().getRevision();
    var none = await(kv.delete(bs("del/a")));
    assertThat(none.getDeleted()).isZero();
    assertThat(none.getHeader().getRevision()).as("a delete of nothing keeps the revision").isEqualTo(before);
    var rest = await(kv.delete(bs("del/"), DeleteOption.builder().isPrefix(true).withPrevKV(true).build()));
    assertThat(rest.getDeleted()).isEqualTo(3);
    assertThat(rest.getPrevKvs()).extracting(p -> p.getKey().toString(StandardCharsets.UTF_8))
        .containsExactly("del/b", "del/c", "del/d");
    assertThat(rest.getHeader().getRevision()).isEqualTo(before + 1);
    assertThat(await(kv.get(bs("del/"), GetOption.builder().isPrefix(true).build())).getCount()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void txnTakesTheRightBranchAtOneRevision(String engine) throws Exception {
    KV kv = kv(engine);
    long r0 = await(kv.put(bs("txn/x"), bs("1"))).getHeader().getRevision();
    TxnResponse ok = await(kv.txn()
        .If(new Cmp(bs("txn/x"), Cmp.Op.EQUAL, CmpTarget.value(bs("1"))),
            new Cmp(bs("txn/x"), Cmp.Op.EQUAL, CmpTarget.modRevision(r0)),
            new Cmp(bs("txn/x"), Cmp.Op.LESS, CmpTarget.version(2)))
        .Then(Op.put(bs("txn/x"), bs("2"), PutOption.DEFAULT), Op.put(bs("txn/y"), bs("2"), PutOption.DEFAULT),
            Op.get(bs("txn/"), GetOption.builder().isPrefix(true).build()))
        .Else(Op.get(bs("txn/x"), GetOption.DEFAULT))
        .commit());
    assertThat(ok.isSucceeded()).isTrue();
    assertThat(ok.getHeader().getRevision()).as("one revision per txn").isEqualTo(r0 + 1);
    assertThat(ok.getPutResponses()).hasSize(2);
    assertThat(ok.getGetResponses()).singleElement().satisfies(g -> {
      assertThat(keys(g)).containsExactly("txn/x", "txn/y");
      assertThat(g.getKvs()).allSatisfy(k -> assertThat(k.getModRevision()).isEqualTo(r0 + 1));
    });

    TxnResponse failed = await(kv.txn()
        .If(new Cmp(bs("txn/x"), Cmp.Op.GREATER, CmpTarget.createRevision(r0)))
        .Then(Op.delete(bs("txn/x"), DeleteOption.DEFAULT))
        .Else(Op.get(bs("txn/x"), GetOption.DEFAULT),
            Op.txn(new Cmp[] {new Cmp(bs("txn/missing"), Cmp.Op.EQUAL, CmpTarget.version(0))},
                new Op[] {Op.put(bs("txn/z"), bs("nested"), PutOption.DEFAULT)}, new Op[0]))
        .commit());
    assertThat(failed.isSucceeded()).isFalse();
    assertThat(failed.getGetResponses()).singleElement()
        .satisfies(g -> assertThat(single(g).getValue()).isEqualTo(bs("2")));
    assertThat(failed.getTxnResponses()).singleElement().satisfies(t -> assertThat(t.isSucceeded()).isTrue());
    assertThat(single(await(kv.get(bs("txn/z")))).getValue()).isEqualTo(bs("nested"));

    TxnResponse empty = await(kv.txn().commit());
    assertThat(empty.isSucceeded()).as("no compares means success").isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.strata.server.it.Members#engines")
  void compactionBoundsReads(String engine) throws Exception {
    KV kv = kv(engine);
    long r1 = await(kv.put(bs("cmp/k"), bs("1"))).getHeader().getRevision();
    long r2 = await(kv.put(bs("cmp/k"), bs("2"))).getHeader().getRevision();
    long r3 = await(kv.put(bs("cmp/k"), bs("3"))).getHeader().getRevision();
    long compactedAt = await(kv.compact(r2, CompactOption.builder().withCompactPhysical(true).build()))
        .getHeader().getRevision();
    assertThat(compactedAt).as("compact reports the current revision").isEqualTo(r3);
    assertThat(single(await(kv.get(bs("cmp/k"), GetOption.builder().withRevision(r2).build()))).getValue())
        .isEqualTo(bs("2"));
    assertThat(single(await(kv.get(bs("cmp/k"), GetOption.builder().withRevision(r3).build()))).getValue())
        .isEqualTo(bs("3"));
    assertThatThrownBy(() -> await(kv.get(bs("cmp/k"), GetOption.builder().withRevision(r1).build())))
        .hasMessageContaining("etcdserver: mvcc: required revision has been compacted");
    assertThatThrownBy(() -> await(kv.compact(r2)))
        .hasMessageContaining("etcdserver: mvcc: required revision has been compacted");
    assertThatThrownBy(() -> await(kv.get(bs("cmp/k"), GetOption.builder().withRevision(r3 + 100).build())))
        .hasMessageContaining("etcdserver: mvcc: required revision is a future revision");
    assertThatThrownBy(() -> await(kv.compact(r3 + 100)))
        .hasMessageContaining("etcdserver: mvcc: required revision is a future revision");
    assertThatThrownBy(() -> await(kv.put(ByteSequence.EMPTY, bs("v"))))
        .hasMessageContaining("etcdserver: key is not provided");
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    try {
      return future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static KeyValue single(GetResponse r) {
    assertThat(r.getKvs()).hasSize(1);
    return r.getKvs().get(0);
  }

  private static List<String> keys(GetResponse r) {
    return r.getKvs().stream().map(k -> k.getKey().toString(StandardCharsets.UTF_8)).toList();
  }

  private static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
