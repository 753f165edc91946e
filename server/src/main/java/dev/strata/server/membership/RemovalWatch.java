package dev.strata.server.membership;

import dev.strata.server.raft.RaftNode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member removed from the cluster stops by itself, as etcd's does ("the member has been permanently
 * removed from the cluster"; etcd then exits 0). It waits until the Raft configuration no longer holds
 * it, so that its vote still counts while the leader's {@link ConfReconciler} removes it (in a
 * 2-member cluster the change needs both), but at most {@link #MAX_WAIT}: the removal is committed
 * either way. A member restarted on the data dir of a removed one stops the same way.
 */
public final class RemovalWatch {

  private static final Logger LOG = LoggerFactory.getLogger(RemovalWatch.class);
  static final Duration MAX_WAIT = Duration.ofSeconds(30);
  private static final long POLL_MS = 100;

  private final RaftNode raft;
  private final MemberRegistry registry;
  private final long self;
  private final Runnable stop;
  private final AtomicBoolean triggered = new AtomicBoolean();

  private RemovalWatch(RaftNode raft, MemberRegistry registry, long self, Runnable stop) {
    this.raft = raft;
    this.registry = registry;
    this.self = self;
    this.stop = stop;
  }

  /** Watches the member table for the removal of {@code self}; {@code stop} ends the member. */
  public static void start(RaftNode raft, MemberRegistry registry, long self, Runnable stop) {
    RemovalWatch w = new RemovalWatch(raft, registry, self, stop);
    registry.onChange(w::check);
    w.check();
  }

  private void check() {
    if (!registry.isRemoved(self) || !triggered.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(this::awaitConfigurationAndStop, "strata-removed");
    t.setDaemon(true);
    t.start();
  }

  private void awaitConfigurationAndStop() {
    long deadline = System.nanoTime() + MAX_WAIT.toNanos();
    try {
      while (inConfiguration() && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(POLL_MS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return; // the member is closing anyway
    }
    LOG.warn("the member has been permanently removed from the cluster; the data-dir used by this member "
        + "must be removed: memberId={}", Long.toHexString(self));
    stop.run();
  }

  private boolean inConfiguration() {
    try {
      return raft.memberIds(RaftPeerRole.FOLLOWER).contains(self) || raft.memberIds(RaftPeerRole.LISTENER).contains(self);
    } catch (IllegalStateException e) {
      return false; // the Raft group is gone
    }
  }
}
