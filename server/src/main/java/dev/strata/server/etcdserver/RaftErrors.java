package dev.strata.server.etcdserver;

import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;

/** Maps replication and read-barrier failures to the etcd errors clients know how to retry. */
final class RaftErrors {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RaftErrors.class);

  private RaftErrors() {}

  static EtcdException toEtcd(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof EtcdException ee) {
      return ee;
    }
    if (e instanceof TimeoutException || e instanceof ReadIndexException) {
      // ReadIndexException (leader unknown) surfaces only once RaftNode's retries reached the timeout
      return EtcdError.TIMEOUT.exception();
    }
    if (e instanceof NotLeaderException nle) {
      // No leader known: RaftNode retried until the request timeout, which etcd reports as a timeout.
      return nle.getSuggestedLeader() == null ? EtcdError.TIMEOUT.exception()
          : EtcdError.LEADER_CHANGED.exception();
    }
    if (e instanceof LeaderNotReadyException || e instanceof LeaderSteppingDownException) {
      return EtcdError.LEADER_CHANGED.exception();
    }
    if (e instanceof AlreadyClosedException || e instanceof ServerNotReadyException) {
      return EtcdError.STOPPED.exception();
    }
    LOG.warn("raft failure reported as request timed out: error=\"{}\"", e.toString());
    return EtcdError.TIMEOUT.exception();
  }

  /**
   * A failed proposal as etcd 3.4 reports it ({@code v3_server.go processInternalRaftRequestOnce}).
   * While a member knows no leader, raft does not take proposals: the call waits until its context
   * ends and gets the raw context error (UNKNOWN {@code context deadline exceeded}). One a leader took
   * but did not commit in time gets {@code etcdserver: request timed out}. {@code leaderless}: this
   * member knew no leader when the request arrived nor when it timed out.
   */
  static EtcdException proposalFailure(Throwable t, boolean leaderless) {
    Throwable e = unwrap(t);
    boolean timedOut = e instanceof TimeoutException || e instanceof RaftRetryFailureException
        || (e instanceof NotLeaderException nle && nle.getSuggestedLeader() == null);
    return leaderless && timedOut ? EtcdError.CONTEXT_DEADLINE_EXCEEDED.exception() : toEtcd(e);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
