package dev.strata.server.etcdserver;

import dev.strata.server.EtcdError;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.lease.LeaseServer;
import dev.strata.server.raft.RaftNode;
import dev.strata.server.raft.proto.Request;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Lease requests into Raft with the same admission as KV writes ({@link EtcdServer}): quota (for
 * grants), the apply backlog limit, the request size, then the proposer; results and errors complete
 * on {@code executor}, mapped to etcd errors, never on the apply thread.
 */
final class LeaseProposals implements LeaseServer.Proposals {

  private static final long MAX_APPLY_BACKLOG = 5000;

  private final RaftNode raft;
  private final Proposer proposer;
  private final Quota quota;
  private final Admission admission;
  private final Executor executor;

  LeaseProposals(ServerConfig cfg, RaftNode raft, Proposer proposer, Quota quota, Executor executor) {
    this.raft = raft;
    this.proposer = proposer;
    this.quota = quota;
    this.admission = new Admission(cfg.maxRequestBytes(), cfg.maxTxnOps());
    this.executor = executor;
  }

  @Override
  public CompletableFuture<Object> propose(Request.Builder request, long quotaCost) {
    quota.check(quotaCost);
    if (raft.committedIndex() > raft.appliedIndex() + MAX_APPLY_BACKLOG) {
      throw EtcdError.TOO_MANY_REQUESTS.exception();
    }
    admission.checkSize(request.build().getSerializedSize());
    boolean leaderless = raft.leaderId() == 0;
    // the request timeout is the Waiters' (one sweep for all calls, not a timer per call)
    return proposer.propose(request)
        .handleAsync((resp, err) -> {
          if (err != null) {
            throw RaftErrors.proposalFailure(err, leaderless && raft.leaderId() == 0);
          }
          return resp;
        }, executor);
  }
}
