package dev.strata.server.raft;

import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.server.protocol.TermIndex;

/**
 * Brings a lagging follower's store up to a leader checkpoint when the leader has purged the log the
 * follower needs (Ratis notification mode). The transfer (leader's {@code Backend.exportTo}, streamed to
 * the follower) belongs to the cluster work; until then a follower that needs it waits and says so.
 */
@FunctionalInterface
public interface SnapshotInstaller {

  /** Completes with the (term, index) of the installed store. */
  CompletableFuture<TermIndex> install(RoleInfoProto roleInfo, TermIndex leaderFirstLogEntry);

  /** No transfer yet: the follower stays behind and logs why. */
  static SnapshotInstaller unsupported() {
    return (roleInfo, first) -> new CompletableFuture<>();
  }
}
