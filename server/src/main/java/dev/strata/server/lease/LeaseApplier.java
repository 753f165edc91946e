package dev.strata.server.lease;

import com.google.protobuf.ByteString;
import dev.strata.server.lease.proto.LeaseCheckpoint;
import dev.strata.server.lease.proto.LeaseCheckpointRequest;
import dev.strata.server.lease.proto.LeaseCheckpointResponse;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.TxnRequest;
import java.util.List;

/**
 * Applies the lease requests of committed Raft entries (etcd's {@code applierV3backend.LeaseGrant/
 * LeaseRevoke/LeaseCheckpoint}), identically on every member. Apply thread only. Failures are
 * {@link dev.strata.server.EtcdException}s with nothing changed; the response headers carry only the
 * store revision (the server fills the rest).
 */
public final class LeaseApplier {

  private final Lessor lessor;
  private final MvccStore mvcc;

  public LeaseApplier(Lessor lessor, MvccStore mvcc) {
    this.lessor = lessor;
    this.mvcc = mvcc;
  }

  public LeaseGrantResponse grant(LeaseGrantRequest r) {
    long ttl = lessor.grant(r.getID(), r.getTTL());
    LeaseBucket.put(mvcc, r.getID(), ttl, 0);
    return LeaseGrantResponse.newBuilder().setHeader(header()).setID(r.getID()).setTTL(ttl).build();
  }

  /**
   * Deletes every attached key in key order in ONE revision through the store's txn path (so the
   * watch hook publishes all the DELETEs together), then the lease record, in the same backend batch.
   * A lease with no keys bumps no revision.
   */
  public LeaseRevokeResponse revoke(LeaseRevokeRequest r) {
    long id = r.getID();
    List<ByteString> keys = lessor.attachedKeys(id);
    if (!keys.isEmpty()) {
      TxnRequest.Builder deletes = TxnRequest.newBuilder();
      for (ByteString k : keys) {
        deletes.addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(k)));
      }
      mvcc.txn(deletes.build());
    }
    mvcc.deleteLease(id);
    lessor.remove(id);
    return LeaseRevokeResponse.newBuilder().setHeader(header()).build();
  }

  /** Records remaining TTLs; leases revoked meanwhile are skipped (etcd ignores them too). */
  public LeaseCheckpointResponse checkpoint(LeaseCheckpointRequest r) {
    for (LeaseCheckpoint cp : r.getCheckpointsList()) {
      lessor.checkpoint(cp.getID(), cp.getRemainingTTL())
          .ifPresent(ttls -> LeaseBucket.put(mvcc, cp.getID(), ttls[0], ttls[1]));
    }
    return LeaseCheckpointResponse.newBuilder().setHeader(header()).build();
  }

  private ResponseHeader header() {
    return ResponseHeader.newBuilder().setRevision(mvcc.currentRevision()).build();
  }
}
