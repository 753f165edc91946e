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
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;

/** Maps replication and read-barrier failures to the etcd errors clients know how to retry. */
final class RaftErrors {

  private RaftErrors() {}

  static EtcdException toEtcd(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof EtcdException ee) {
      return ee;
    }
    if (e instanceof TimeoutException) {
      return EtcdError.TIMEOUT.exception();
    }
    if (e instanceof NotLeaderException nle) {
      return nle.getSuggestedLeader() == null ? EtcdError.NO_LEADER.exception()
          : EtcdError.LEADER_CHANGED.exception();
    }
    if (e instanceof LeaderNotReadyException || e instanceof LeaderSteppingDownException) {
      return EtcdError.LEADER_CHANGED.exception();
    }
    if (e instanceof AlreadyClosedException || e instanceof ServerNotReadyException) {
      return EtcdError.STOPPED.exception();
    }
    return EtcdError.TIMEOUT.exception();
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
