package dev.strata.server.raft;

import java.util.Optional;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.LogAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around a Ratis 3.2.2 bug, on the leader: a listener added by setConfiguration is staged like a
 * new voter, but when staging ends LeaderStateImpl.checkStaging marks caught up only the lagging
 * followers {@code containsInConf(id)} finds, and that defaults to the FOLLOWER role. The listener's
 * appender then keeps sending {@code initializing=true}, so the listener never leaves STARTING and
 * refuses every request (ServerNotReadyException) until the next leader change. This marks the
 * listener's follower info caught up through reflection (the types are package-private), and logs and
 * does nothing if Ratis' internals changed.
 */
final class ListenerCatchUp {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerCatchUp.class);

  private ListenerCatchUp() {}

  /** True if {@code memberId} is (now) marked caught up on the leader {@code division}. */
  static boolean mark(RaftServer.Division division, long memberId) {
    try {
      var getRole = division.getClass().getDeclaredMethod("getRole");
      getRole.setAccessible(true);
      Object role = getRole.invoke(division);
      var getLeaderState = role.getClass().getDeclaredMethod("getLeaderState");
      getLeaderState.setAccessible(true);
      var leader = (Optional<?>) getLeaderState.invoke(role);
      if (leader.isEmpty()) {
        return false;
      }
      var getLogAppender = leader.get().getClass().getDeclaredMethod("getLogAppender", RaftPeerId.class);
      getLogAppender.setAccessible(true);
      var appender = (Optional<?>) getLogAppender.invoke(leader.get(),
          RaftPeerId.valueOf(Long.toHexString(memberId)));
      if (appender.isEmpty()) {
        return false;
      }
      Object follower = ((LogAppender) appender.get()).getFollower();
      var isCaughtUp = follower.getClass().getDeclaredMethod("isCaughtUp");
      isCaughtUp.setAccessible(true);
      if ((Boolean) isCaughtUp.invoke(follower)) {
        return true;
      }
      var catchUp = follower.getClass().getDeclaredMethod("catchUp");
      catchUp.setAccessible(true);
      catchUp.invoke(follower);
      LOG.info("marked listener caught up (Ratis listener staging workaround): peer={}", Long.toHexString(memberId));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot mark listener caught up: peer={} error=\"{}\"", Long.toHexString(memberId), e.toString());
      return false;
    }
  }
}
