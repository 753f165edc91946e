package dev.strata.server.etcdserver;

import com.google.protobuf.UnknownFieldSet;
import dev.strata.backend.Backend;
import dev.strata.backend.BackendStats;
import dev.strata.server.EtcdError;
import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.config.Version;
import dev.strata.server.membership.MemberRegistry;
import dev.strata.server.mvcc.MvccStore;
import dev.strata.server.raft.RaftNode;
import dev.strata.server.raft.proto.Request;
import dev.strata.server.lease.LeaseServer;
import dev.strata.server.watch.WatchHub;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The etcd server operations behind the gRPC API: admission, proposal through Raft, linearizable
 * reads, and etcd's response headers (cluster_id, member_id, raft_term; the revision from MVCC, or the
 * current one when a handler left it 0). Futures complete on {@code executor}, never on the apply thread.
 */
public final class EtcdServer {

  private static final long MAX_APPLY_BACKLOG = 5000;

  private final ServerConfig cfg;
  private final ClusterIdentity ids;
  private final Backend backend;
  private final MvccStore mvcc;
  private final RaftNode raft;
  private final Proposer proposer;
  private final ReadBarrier reads;
  private final Admission admission;
  private final Quota quota;
  private final Executor executor;
  private final WatchHub watches;
  private final LeaseServer leases;
  private final MemberRegistry members;
  private final dev.strata.server.membership.Membership membership;

  EtcdServer(ServerConfig cfg, ClusterIdentity ids, Backend backend, MvccStore mvcc, RaftNode raft,
      Proposer proposer, Executor executor, WatchHub watches, LeaseServer leases, MemberRegistry members) {
    this.members = members;
    this.membership = new dev.strata.server.membership.Membership(raft, members, ids);
    this.cfg = cfg;
    this.ids = ids;
    this.backend = backend;
    this.mvcc = mvcc;
    this.raft = raft;
    this.proposer = proposer;
    this.executor = executor;
    this.watches = watches;
    this.leases = leases;
    this.reads = new ReadBarrier(raft, executor);
    this.admission = new Admission(cfg.maxRequestBytes(), cfg.maxTxnOps());
    this.quota = new Quota(backend, cfg.quotaBackendBytes());
  }

  public ClusterIdentity identity() {
    return ids;
  }

  public ServerConfig config() {
    return cfg;
  }

  /** The replicated member attributes (the Cluster service reads them). */
  public MemberRegistry members() {
    return members;
  }

  /** The member list (registry + Raft configuration) and etcd's reconfiguration checks. */
  public dev.strata.server.membership.Membership membership() {
    return membership;
  }

  /** This member's Raft node (membership and leadership transfer). */
  public RaftNode raft() {
    return raft;
  }

  /**
   * Publishes this member's name and client URLs through Raft (etcd's {@code publish}), so that every
   * member lists them; completes once applied.
   */
  public CompletableFuture<Void> publishAttributes() {
    var self = io.etcd.jetcd.api.Member.newBuilder().setID(ids.memberId()).setName(cfg.name());
    cfg.advertiseClientUrls().forEach(u -> self.addClientURLs(u.toString()));
    // recorded only if the member has no peer URLs yet (an initial member's first publish)
    cfg.initialAdvertisePeerUrls().forEach(u -> self.addPeerURLs(u.toString()));
    return propose(Request.newBuilder().setMemberAttributes(self), Object.class).thenApply(o -> null);
  }

  /**
   * Proposes a membership change (add/update/promote/remove) and completes with the member record the
   * apply produced on this member, or fails with the apply-time etcd error.
   */
  public CompletableFuture<io.etcd.jetcd.api.Member> proposeMembership(Request.Builder change) {
    return propose(change, io.etcd.jetcd.api.Member.class);
  }

  /** etcd's header for the Member RPCs ({@code v3rpc/member.go}): no revision. */
  public ResponseHeader memberHeader() {
    return ResponseHeader.newBuilder()
        .setClusterId(ids.clusterId())
        .setMemberId(ids.memberId())
        .setRaftTerm(raft.currentTerm())
        .build();
  }

  /** This member's watch registry (the Watch service and the Lock/Election waits use it). */
  public WatchHub watches() {
    return watches;
  }

  /**
   * This member's lease operations (the Lease service; Lock/Election sessions grant, renew and revoke
   * through it). Their response headers carry only a revision: fill them with {@link #header}.
   */
  public LeaseServer leases() {
    return leases;
  }

  public CompletableFuture<RangeResponse> range(RangeRequest r) {
    Admission.checkRange(r);
    return read(r.getSerializable(), () -> mvcc.range(r))
        .thenApply(resp -> resp.toBuilder().setHeader(header(resp.getHeader())).build());
  }

  public CompletableFuture<PutResponse> put(PutRequest r) {
    quota.check(Admission.putCost(r));
    Admission.checkPut(r);
    checkBacklog();
    admission.checkSize(r.getSerializedSize());
    return propose(Request.newBuilder().setPut(r), PutResponse.class)
        .thenApply(resp -> resp.toBuilder().setHeader(header(resp.getHeader())).build());
  }

  public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest r) {
    Admission.checkDelete(r);
    checkBacklog();
    admission.checkSize(r.getSerializedSize());
    return propose(Request.newBuilder().setDeleteRange(r), DeleteRangeResponse.class)
        .thenApply(resp -> resp.toBuilder().setHeader(header(resp.getHeader())).build());
  }

  public CompletableFuture<TxnResponse> txn(TxnRequest r) {
    boolean readOnly = Admission.isReadOnly(r);
    if (!readOnly) {
      quota.check(Admission.txnCost(r));
    }
    admission.checkTxn(r);
    CompletableFuture<TxnResponse> result;
    if (readOnly) {
      result = read(Admission.isSerializable(r), () -> mvcc.readOnlyTxn(r));
    } else {
      checkBacklog();
      admission.checkSize(r.getSerializedSize());
      result = propose(Request.newBuilder().setTxn(r), TxnResponse.class);
    }
    return result.thenApply(resp -> resp.toBuilder().setHeader(header(resp.getHeader())).build());
  }

  public CompletableFuture<CompactionResponse> compact(CompactionRequest r) {
    checkBacklog();
    admission.checkSize(r.getSerializedSize());
    return propose(Request.newBuilder().setCompaction(r), CompactionResponse.class)
        .thenApply(resp -> resp.toBuilder().setHeader(header(resp.getHeader())).build());
  }

  /** Scans the whole key history: runs on the executor, never on a gRPC event loop. */
  public CompletableFuture<HashKVResponse> hashKV(HashKVRequest r) {
    return CompletableFuture.supplyAsync(() -> {
      HashKVResponse resp = mvcc.hashKV(r.getRevision());
      return resp.toBuilder().setHeader(header(resp.getHeader())).build();
    }, executor);
  }

  /** Maintenance.Status; fields jetcd's older rpc.proto lacks travel as unknown fields (etcd's numbers). */
  public StatusResponse status() {
    BackendStats stats = backend.stats();
    UnknownFieldSet.Builder extra = UnknownFieldSet.newBuilder()
        .addField(7, UnknownFieldSet.Field.newBuilder().addVarint(raft.appliedIndex()).build()) // raftAppliedIndex
        .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(stats.bytesInUse()).build()); // dbSizeInUse
    if (raft.leaderId() == 0) { // errors, as etcd 3.4 fills it (etcdctl's ERRORS column)
      extra.addField(8, UnknownFieldSet.Field.newBuilder()
          .addLengthDelimited(com.google.protobuf.ByteString.copyFromUtf8(EtcdError.NO_LEADER.message())).build());
    }
    return StatusResponse.newBuilder()
        .setHeader(header(ResponseHeader.getDefaultInstance()))
        .setVersion(Version.ETCD_API)
        .setDbSize(stats.bytesOnDisk())
        .setLeader(raft.leaderId())
        .setRaftIndex(raft.committedIndex())
        .setRaftTerm(raft.currentTerm())
        .setUnknownFields(extra.build())
        .build();
  }

  /** etcd's header fill ({@code api/v3rpc/header.go}). */
  public ResponseHeader header(ResponseHeader fromStore) {
    long rev = fromStore.getRevision() != 0 ? fromStore.getRevision() : mvcc.currentRevision();
    return fromStore.toBuilder()
        .setClusterId(ids.clusterId())
        .setMemberId(ids.memberId())
        .setRaftTerm(raft.currentTerm())
        .setRevision(rev)
        .build();
  }

  /**
   * A header carrying exactly {@code rev}: watch responses need it, since etcd's compaction cancel
   * has revision 0 and must keep it (unlike {@link #header}, which fills 0 with the current one).
   */
  public ResponseHeader headerAt(long rev) {
    return ResponseHeader.newBuilder()
        .setClusterId(ids.clusterId())
        .setMemberId(ids.memberId())
        .setRaftTerm(raft.currentTerm())
        .setRevision(rev)
        .build();
  }

  /** Proposer statistics: Raft entries proposed and requests they carried. */
  public long proposedEntries() {
    return proposer.entries();
  }

  public long proposedRequests() {
    return proposer.requests();
  }

  /**
   * etcd refuses new proposals while apply lags commit by more than 5000 entries
   * ({@code maxGapBetweenApplyAndCommitIndex}), before the size check.
   */
  private void checkBacklog() {
    if (raft.committedIndex() > raft.appliedIndex() + MAX_APPLY_BACKLOG) {
      throw EtcdError.TOO_MANY_REQUESTS.exception();
    }
  }

  private <T> CompletableFuture<T> read(boolean serializable, Supplier<T> read) {
    if (serializable) {
      // a large range must not hold a gRPC event loop
      return CompletableFuture.supplyAsync(read, executor);
    }
    // orTimeout applies to this call's own dependent future, never to the shared round
    return reads.await()
        .thenApply(v -> v)
        .orTimeout(cfg.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(e -> {
          throw RaftErrors.toEtcd(e);
        })
        .thenApplyAsync(v -> read.get(), executor);
  }

  private <T> CompletableFuture<T> propose(Request.Builder request, Class<T> type) {
    boolean leaderless = raft.leaderId() == 0;
    // the request timeout is the Waiters' (one sweep for all calls, not a timer per call)
    return proposer.propose(request)
        .handleAsync((resp, err) -> {
          if (err != null) {
            throw RaftErrors.proposalFailure(err, leaderless && raft.leaderId() == 0);
          }
          return type.cast(resp);
        }, executor);
  }
}
