package dev.strata.server.etcdserver;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.server.EtcdException;
import dev.strata.server.lease.LeaseApplier;
import dev.strata.server.membership.MemberRegistry;
import dev.strata.server.mvcc.MvccStore;
import dev.strata.server.raft.Applier;
import dev.strata.server.raft.proto.Batch;
import dev.strata.server.raft.proto.Request;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies committed batches to MVCC on Ratis' apply thread: each request in order, its error (an
 * {@link EtcdException}, store unchanged) becoming that request's result; then the entry's (term, index)
 * goes into the same backend batch ({@code markApplied}) and the batch is committed when due. Any other
 * exception propagates and stops the member.
 */
final class BatchApplier implements Applier {

  private static final Logger LOG = LoggerFactory.getLogger(BatchApplier.class);

  private final MvccStore mvcc;
  private final Waiters waiters;
  private final long incarnation;
  private final LeaseApplier leases;
  private final MemberRegistry members;

  BatchApplier(MvccStore mvcc, LeaseApplier leases, MemberRegistry members, Waiters waiters, long incarnation) {
    this.mvcc = mvcc;
    this.leases = leases;
    this.members = members;
    this.waiters = waiters;
    this.incarnation = incarnation;
  }

  @Override
  public long appliedIndex() {
    return mvcc.appliedIndex();
  }

  @Override
  public long appliedTerm() {
    return mvcc.appliedTerm();
  }

  @Override
  public void apply(long term, long index, ByteBuffer entry) {
    if (alreadyApplied(term, index)) {
      return; // already in the store: replayed after a restart
    }
    Batch batch;
    try {
      batch = Batch.parseFrom(entry);
    } catch (InvalidProtocolBufferException e) {
      // Every member decodes the same bytes: stopping is the only way not to diverge.
      throw new IllegalStateException("undecodable raft entry at index " + index, e);
    }
    for (Request r : batch.getRequestsList()) {
      boolean mine = (r.getProposer() != 0 ? r.getProposer() : batch.getProposer()) == incarnation;
      Object response;
      try {
        response = applyOne(r);
      } catch (EtcdException e) {
        if (mine) {
          waiters.fail(r.getId(), e);
        }
        continue;
      }
      if (mine) {
        waiters.complete(r.getId(), response);
      }
    }
    mvcc.markApplied(term, index);
    mvcc.commitIfDue();
    if (LOG.isTraceEnabled()) {
      LOG.trace("applied entry: index={} term={} requests={}", index, term, batch.getRequestsCount());
    }
  }

  /**
   * Compares (term, index) rather than the index alone: Raft indexes start at 0 here, and a fresh
   * store reports (0, 0) while every real entry has a term >= 1.
   */
  private boolean alreadyApplied(long term, long index) {
    long applied = mvcc.appliedIndex();
    return index < applied || (index == applied && term <= mvcc.appliedTerm());
  }

  private Object applyOne(Request r) {
    return switch (r.getOpCase()) {
      case PUT -> mvcc.put(r.getPut());
      case DELETE_RANGE -> mvcc.deleteRange(r.getDeleteRange());
      case TXN -> mvcc.txn(r.getTxn());
      case COMPACTION -> mvcc.compact(r.getCompaction());
      case LEASE_GRANT -> leases.grant(r.getLeaseGrant());
      case LEASE_REVOKE -> leases.revoke(r.getLeaseRevoke());
      case LEASE_CHECKPOINT -> leases.checkpoint(r.getLeaseCheckpoint());
      case MEMBER_ATTRIBUTES -> members.publish(mvcc, r.getMemberAttributes());
      case MEMBER_ADD -> members.add(mvcc, r.getMemberAdd());
      case MEMBER_UPDATE -> members.update(mvcc, r.getMemberUpdate());
      case MEMBER_PROMOTE -> members.promote(mvcc, r.getMemberPromote());
      case MEMBER_REMOVE -> members.remove(mvcc, r.getMemberRemove());
      case OP_NOT_SET -> throw new IllegalStateException("raft entry request without an operation");
    };
  }

  @Override
  public long sync() {
    mvcc.sync();
    return mvcc.appliedIndex();
  }
}
