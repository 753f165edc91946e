package dev.strata.server.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.ReadView;
import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import dev.strata.server.lease.proto.Lease;
import dev.strata.server.lease.proto.LeaseCheckpoint;
import dev.strata.server.lease.proto.LeaseCheckpointRequest;
import dev.strata.server.mvcc.MvccOptions;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lessor and its apply path on a real store per engine, with a fake clock: grant rules,
 * attachments through the MVCC write path, revoke in one revision, leader-only expiry, checkpoints,
 * and the rebuild from the LEASE bucket and the keys after a reopen.
 */
class LessorTest {

  private static final long SEC = 1_000_000_000L;

  @TempDir
  Path dir;

  private final AtomicLong now = new AtomicLong(1_000 * SEC);
  private final LeaseOptions options = new LeaseOptions(2, Duration.ofSeconds(1), Duration.ofSeconds(5),
      Duration.ofMillis(100), Duration.ofSeconds(3));
  private Backend backend;
  private MvccStore mvcc;
  private Lessor lessor;
  private LeaseApplier applier;

  private void open(String engine) {
    backend = Backends.factory(engine).open(dir, BackendOptions.defaults()
        .withInitialSizeBytes(16 * BackendOptions.MIB).withCacheBytes(8 * BackendOptions.MIB));
    lessor = new Lessor(options, now::get);
    mvcc = MvccStore.open(backend, MvccOptions.defaults().withLeaseExists(lessor::exists));
    LeaseBucket.restore(backend, mvcc, lessor);
    mvcc.setLeaseAttachments(lessor);
    applier = new LeaseApplier(lessor, mvcc);
  }

  private void reopen(String engine) throws Exception {
    close();
    open(engine);
  }

  @AfterEach
  void close() throws Exception {
    if (mvcc != null) {
      mvcc.close();
      backend.close();
      mvcc = null;
    }
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private long grant(long id, long ttl) {
    return applier.grant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl).build()).getTTL();
  }

  private void put(String key, long lease) {
    mvcc.put(PutRequest.newBuilder().setKey(b(key)).setValue(b("v")).setLease(lease).build());
  }

  private List<ByteString> keys(long id) {
    return lessor.timeToLive(id, true).orElseThrow().keys();
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void grantFollowsEtcdRules(String engine) {
    open(engine);
    assertThat(grant(7, 1)).as("raised to the minimum").isEqualTo(2);
    assertThat(grant(8, -5)).isEqualTo(2);
    assertThat(grant(9, 60)).isEqualTo(60);
    assertThat(grant(-3, 60)).as("negative ids are used as given").isEqualTo(60);
    assertThatThrownBy(() -> grant(7, 60)).isInstanceOf(EtcdException.class)
        .hasMessage("etcdserver: lease already exists");
    assertThatThrownBy(() -> grant(10, Lessor.MAX_TTL + 1)).hasMessage("etcdserver: too large lease TTL");
    assertThat(grant(10, Lessor.MAX_TTL)).isEqualTo(Lessor.MAX_TTL);
    assertThat(lessor.idsByExpiry()).containsExactly(-3L, 7L, 8L, 9L, 10L);
    assertThat(lessor.timeToLive(11, false)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void putsAttachAndDetach(String engine) {
    open(engine);
    grant(1, 60);
    grant(2, 60);
    put("a", 1);
    put("b", 1);
    put("c", 2);
    assertThat(keys(1)).containsExactly(b("a"), b("b"));
    put("b", 2); // moves to lease 2
    mvcc.put(PutRequest.newBuilder().setKey(b("c")).setValue(b("x")).setIgnoreLease(true).build());
    assertThat(keys(1)).containsExactly(b("a"));
    assertThat(keys(2)).containsExactly(b("b"), b("c"));
    put("c", 0); // overwritten without a lease: detached
    mvcc.deleteRange(DeleteRangeRequest.newBuilder().setKey(b("a")).build());
    assertThat(keys(1)).isEmpty();
    assertThat(keys(2)).containsExactly(b("b"));
    assertThatThrownBy(() -> put("d", 3)).isInstanceOf(EtcdException.class)
        .extracting(e -> ((EtcdException) e).error()).isEqualTo(EtcdError.LEASE_NOT_FOUND);
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void revokeDeletesKeysInOneRevisionAndTheRecord(String engine) {
    open(engine);
    grant(5, 60);
    grant(6, 60);
    put("k2", 5);
    put("k1", 5);
    put("other", 6);
    List<Event> published = new ArrayList<>();
    List<Long> revisions = new ArrayList<>();
    mvcc.setRevisionListener((rev, events) -> {
      revisions.add(rev);
      published.addAll(events);
    });
    long before = mvcc.currentRevision();
    var resp = applier.revoke(LeaseRevokeRequest.newBuilder().setID(5).build());
    assertThat(resp.getHeader().getRevision()).isEqualTo(before + 1);
    assertThat(revisions).containsExactly(before + 1);
    assertThat(published).extracting(e -> e.getType() + " " + e.getKv().getKey().toStringUtf8())
        .containsExactly("DELETE k1", "DELETE k2");
    assertThat(mvcc.range(RangeRequest.newBuilder().setKey(b("k")).setRangeEnd(b("l")).build()).getCount())
        .isZero();
    assertThat(lessor.exists(5)).isFalse();
    assertThatThrownBy(() -> applier.revoke(LeaseRevokeRequest.newBuilder().setID(5).build()))
        .hasMessage("etcdserver: requested lease not found");
    // a lease without keys: no revision
    grant(7, 60);
    applier.revoke(LeaseRevokeRequest.newBuilder().setID(7).build());
    assertThat(mvcc.currentRevision()).isEqualTo(before + 1);
    mvcc.sync();
    assertThat(leaseRecords()).containsOnlyKeys(6L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void onlyThePrimaryExpiresLeases(String engine) {
    open(engine);
    grant(1, 10);
    now.addAndGet(100 * SEC);
    assertThat(lessor.expired(100)).as("a follower holds leases forever").isEmpty();
    assertThat(lessor.checkRenew(1)).isEqualTo(Lessor.RenewCheck.NOT_PRIMARY);

    lessor.promote(options.promoteExtend().toNanos());
    assertThat(lessor.timeToLive(1, false).orElseThrow().ttl()).as("TTL + election timeout").isEqualTo(11);
    now.addAndGet(10 * SEC);
    assertThat(lessor.expired(100)).isEmpty();
    assertThat(lessor.checkRenew(1)).isEqualTo(Lessor.RenewCheck.READY);
    now.addAndGet(SEC);
    assertThat(lessor.checkRenew(1)).isEqualTo(Lessor.RenewCheck.EXPIRED);
    assertThat(lessor.expired(100)).containsExactly(1L);
    assertThat(lessor.expired(100)).as("held back while its revoke is in flight").isEmpty();
    now.addAndGet(options.revokeRetry().toNanos());
    assertThat(lessor.expired(100)).as("proposed again after the retry interval").containsExactly(1L);

    var waiter = lessor.revokedOrDemoted(1);
    applier.revoke(LeaseRevokeRequest.newBuilder().setID(1).build());
    assertThat(waiter).isDone();
    assertThat(lessor.checkRenew(1)).isEqualTo(Lessor.RenewCheck.NOT_FOUND);

    grant(2, 10);
    assertThat(lessor.timeToLive(2, false).orElseThrow().ttl()).as("granted on the primary: no extension")
        .isEqualTo(10);
    now.addAndGet(4 * SEC);
    assertThat(lessor.refresh(2)).isEqualTo(10);
    assertThat(lessor.timeToLive(2, false).orElseThrow().ttl()).isEqualTo(10);
    lessor.demote();
    now.addAndGet(100 * SEC);
    assertThat(lessor.expired(100)).isEmpty();
    assertThat(lessor.refresh(2)).isEqualTo(-1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void checkpointedRemainingTtlSurvivesReopen(String engine) throws Exception {
    open(engine);
    grant(1, 60);
    grant(2, 3); // shorter than the checkpoint interval: never checkpointed (etcd)
    put("a", 1);
    put("b", 2);
    lessor.promote(0);
    now.addAndGet(4 * SEC);
    assertThat(lessor.dueCheckpoints(100)).isEmpty();
    now.addAndGet(SEC + 1);
    List<LeaseCheckpoint> due = lessor.dueCheckpoints(100);
    assertThat(due).extracting(LeaseCheckpoint::getID, LeaseCheckpoint::getRemainingTTL)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, 55L));
    applier.checkpoint(LeaseCheckpointRequest.newBuilder().addAllCheckpoints(due).build());
    assertThat(lessor.checkRenew(1)).as("a renewal first clears the checkpoint through Raft")
        .isEqualTo(Lessor.RenewCheck.CLEAR_CHECKPOINT);
    mvcc.sync();
    assertThat(leaseRecords().get(1L).getRemainingTTL()).isEqualTo(55);

    reopen(engine);
    assertThat(lessor.isPrimary()).isFalse();
    assertThat(keys(1)).containsExactly(b("a"));
    assertThat(keys(2)).containsExactly(b("b"));
    lessor.promote(options.promoteExtend().toNanos());
    assertThat(lessor.timeToLive(1, false).orElseThrow().ttl()).as("checkpointed 55 + election timeout")
        .isEqualTo(56);
    assertThat(lessor.timeToLive(1, false).orElseThrow().grantedTtl()).isEqualTo(60);
    assertThat(lessor.timeToLive(2, false).orElseThrow().ttl()).isEqualTo(4);

    // clearing the checkpoint (remaining 0) makes the next restart use the full TTL again
    applier.checkpoint(LeaseCheckpointRequest.newBuilder()
        .addCheckpoints(LeaseCheckpoint.newBuilder().setID(1)).build());
    assertThat(lessor.checkRenew(1)).isEqualTo(Lessor.RenewCheck.READY);
    reopen(engine);
    lessor.promote(0);
    assertThat(lessor.timeToLive(1, false).orElseThrow().ttl()).isEqualTo(60);
  }

  /** The LEASE bucket as etcd encodes it: 8-byte big-endian id → leasepb.Lease. */
  private java.util.Map<Long, Lease> leaseRecords() {
    java.util.Map<Long, Lease> out = new java.util.TreeMap<>();
    try (ReadView v = backend.readView(); var c = v.cursor(Bucket.LEASE, null, null)) {
      while (c.next()) {
        Lease l = Lease.parseFrom(c.value());
        assertThat(c.key()).hasSize(8);
        assertThat(ByteBuffer.wrap(c.key()).getLong()).isEqualTo(l.getID());
        out.put(l.getID(), l);
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
