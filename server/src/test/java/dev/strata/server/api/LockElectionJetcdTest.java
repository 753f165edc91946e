package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Election;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lock;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.election.LeaderResponse;
import io.etcd.jetcd.election.NoLeaderException;
import io.etcd.jetcd.election.NotLeaderException;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jetcd's {@link Lock} and {@link Election} clients against a real in-process member per engine:
 * mutual exclusion under contention, waiting on the predecessor, lease revoke and cancelled waiters
 * releasing their place, and an election's campaign / proclaim / observe / resign cycle.
 */
class LockElectionJetcdTest {

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String s(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static Client client(TestMember m) {
    return Client.builder().endpoints("http://127.0.0.1:" + m.clients.port(0)).build();
  }

  /** Waits (bounded, polling the server) until the keys under {@code prefix} satisfy {@code p}. */
  private static void awaitKeys(KV kv, String prefix, Predicate<Long> p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!p.test(get(kv.get(b(prefix), GetOption.builder().isPrefix(true).withCountOnly(true).build())).getCount())) {
      assertThat(System.nanoTime()).as("keys under " + prefix).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void holdersNeverOverlapAndWaitersFollowInOrder(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort()); Client c = client(m)) {
      Lock lock = c.getLockClient();
      KV kv = c.getKVClient();
      long leaseA = get(c.getLeaseClient().grant(60)).getID();
      LockResponse a = get(lock.lock(b("mtx"), leaseA));
      assertThat(s(a.getKey())).isEqualTo("mtx/" + Long.toHexString(leaseA));

      long leaseB = get(c.getLeaseClient().grant(60)).getID();
      CompletableFuture<LockResponse> b = lock.lock(b("mtx"), leaseB);
      awaitKeys(kv, "mtx/", n -> n == 2); // B's waiter key is in place
      assertThat(b).isNotDone();
      long unlockRev = get(lock.unlock(a.getKey())).getHeader().getRevision();
      LockResponse gotB = get(b);
      assertThat(s(gotB.getKey())).isEqualTo("mtx/" + Long.toHexString(leaseB));
      assertThat(gotB.getHeader().getRevision()).isGreaterThanOrEqualTo(unlockRev);

      // revoking the holder's lease deletes its key and hands the lock on
      long leaseC = get(c.getLeaseClient().grant(60)).getID();
      CompletableFuture<LockResponse> cLock = lock.lock(b("mtx"), leaseC);
      awaitKeys(kv, "mtx/", n -> n == 2);
      get(c.getLeaseClient().revoke(leaseB));
      assertThat(s(get(cLock).getKey())).isEqualTo("mtx/" + Long.toHexString(leaseC));
      get(lock.unlock(b("mtx/" + Long.toHexString(leaseC))));

      // a waiter whose call is cancelled (deadline) deletes its key, as etcd's Unlock-on-failure does
      long leaseD = get(c.getLeaseClient().grant(60)).getID();
      get(lock.lock(b("mtx"), leaseD));
      long leaseE = get(c.getLeaseClient().grant(60)).getID();
      var stub = LockGrpc.newBlockingStub(m.channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS);
      assertThatThrownBy(() -> stub.lock(LockRequest.newBuilder()
          .setName(com.google.protobuf.ByteString.copyFromUtf8("mtx")).setLease(leaseE).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
      awaitKeys(kv, "mtx/", n -> n == 1);

      // lease 0: the server grants a fresh 60 s lease that nobody renews (etcd's session default)
      var fresh = LockGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .lock(LockRequest.newBuilder().setName(com.google.protobuf.ByteString.copyFromUtf8("fresh")).build());
      String freshKey = fresh.getKey().toStringUtf8();
      assertThat(freshKey).matches("fresh/[0-9a-f]+");
      long freshLease = Long.parseUnsignedLong(freshKey.substring("fresh/".length()), 16);
      var ttl = get(c.getLeaseClient().timeToLive(freshLease, io.etcd.jetcd.options.LeaseOption.DEFAULT));
      assertThat(ttl.getGrantedTTL()).isEqualTo(60);
      assertThat(get(kv.get(b(freshKey))).getKvs().get(0).getLease()).isEqualTo(freshLease);

      // a lease that does not exist: the put of the waiter key fails, as in etcd
      assertThatThrownBy(() -> get(lock.lock(b("mtx"), 0x7777)))
          .isInstanceOf(ExecutionException.class).hasMessageContaining("etcdserver: requested lease not found");
      assertThat(m.halted.get()).isNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void contendingClientsAreMutuallyExclusive(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort()); Client c = client(m)) {
      Lock lock = c.getLockClient();
      KV kv = c.getKVClient();
      AtomicInteger inside = new AtomicInteger();
      AtomicInteger overlaps = new AtomicInteger();
      AtomicInteger done = new AtomicInteger();
      int workers = 4;
      int rounds = 8;
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        long lease = get(c.getLeaseClient().grant(60)).getID();
        all.add(CompletableFuture.runAsync(() -> {
          try {
            for (int i = 0; i < rounds; i++) {
              ByteSequence key = get(lock.lock(b("race"), lease)).getKey();
              if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
              }
              // a read-modify-write that would lose updates without the lock
              var cur = get(kv.get(b("counter"))).getKvs();
              long n = cur.isEmpty() ? 0 : Long.parseLong(s(cur.get(0).getValue()));
              get(kv.put(b("counter"), b(Long.toString(n + 1))));
              inside.decrementAndGet();
              get(lock.unlock(key));
              done.incrementAndGet();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      assertThat(overlaps.get()).isZero();
      assertThat(done.get()).isEqualTo(workers * rounds);
      assertThat(s(get(kv.get(b("counter"))).getKvs().get(0).getValue())).isEqualTo(Integer.toString(workers * rounds));
      assertThat(m.halted.get()).isNull();
    }
  }

  /** Collects Observe responses; waits are bounded and woken by arrivals. */
  private static final class Observed implements Election.Listener {
    private final List<String> got = new ArrayList<>();

    @Override
    public synchronized void onNext(LeaderResponse r) {
      got.add(s(r.getKv().getKey()) + "=" + s(r.getKv().getValue()));
      notifyAll();
    }

    @Override
    public void onError(Throwable t) {
    }

    @Override
    public void onCompleted() {
    }

    synchronized List<String> awaitCount(int n) throws InterruptedException {
      long deadline = System.currentTimeMillis() + 30_000;
      while (got.size() < n && System.currentTimeMillis() < deadline) {
        wait(Math.max(1, deadline - System.currentTimeMillis()));
      }
      return new ArrayList<>(got);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void campaignProclaimObserveResign(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort()); Client c = client(m)) {
      Election election = c.getElectionClient();
      KV kv = c.getKVClient();
      assertThatThrownBy(() -> get(election.leader(b("elect")))).hasCauseInstanceOf(NoLeaderException.class);

      Observed observed = new Observed();
      election.observe(b("elect"), observed); // starts with no leader: reports the first Put
      long leaseA = get(c.getLeaseClient().grant(60)).getID();
      CampaignResponse a = get(election.campaign(b("elect"), leaseA, b("a")));
      LeaderKey la = a.getLeader();
      assertThat(s(la.getKey())).isEqualTo("elect/" + Long.toHexString(leaseA));
      assertThat(la.getLease()).isEqualTo(leaseA);
      assertThat(la.getRevision()).isEqualTo(a.getHeader().getRevision());
      assertThat(s(get(election.leader(b("elect"))).getKv().getValue())).isEqualTo("a");

      long leaseB = get(c.getLeaseClient().grant(60)).getID();
      CompletableFuture<CampaignResponse> b = election.campaign(b("elect"), leaseB, b("b"));
      awaitKeys(kv, "elect/", n -> n == 2);
      assertThat(b).isNotDone();

      get(election.proclaim(la, b("a2")));
      get(election.resign(la));
      LeaderKey lb = get(b).getLeader();
      assertThat(s(lb.getKey())).isEqualTo("elect/" + Long.toHexString(leaseB));
      assertThat(s(get(election.leader(b("elect"))).getKv().getValue())).isEqualTo("b");
      assertThat(observed.awaitCount(3)).containsExactly("elect/" + Long.toHexString(leaseA) + "=a",
          "elect/" + Long.toHexString(leaseA) + "=a2", "elect/" + Long.toHexString(leaseB) + "=b");

      // the resigned leader can no longer proclaim; resigning again still succeeds (etcd)
      assertThatThrownBy(() -> get(election.proclaim(la, b("stale")))).hasCauseInstanceOf(NotLeaderException.class);
      get(election.resign(la));
      // campaigning again on the same lease with another value proclaims it at once
      CampaignResponse again = get(election.campaign(b("elect"), leaseB, b("b2")));
      assertThat(again.getLeader().getRevision()).isEqualTo(lb.getRevision());
      assertThat(s(get(election.leader(b("elect"))).getKv().getValue())).isEqualTo("b2");
      assertThat(observed.awaitCount(4)).endsWith("elect/" + Long.toHexString(leaseB) + "=b2");
      assertThat(m.halted.get()).isNull();
    }
  }
}
