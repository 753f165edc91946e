package dev.strata.server.membership;

import dev.strata.server.raft.RaftNode;
import io.etcd.jetcd.api.Member;
import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the Ratis configuration in line with the replicated member table, on the leader only.
 *
 * <p>Why not change the configuration inside MemberAdd, as etcd's ConfChange does: Ratis stages a
 * {@code setConfiguration} that adds a peer — the leader first replicates its log to the new peer and
 * commits the new configuration only once the peer caught up (LeaderStateImpl: within
 * {@code raft.server.staging.catchup.gap} entries), failing with ReconfigurationTimeoutException when the
 * peer has not answered for 3 election timeouts, and refusing every other change meanwhile. A member
 * being added is not running yet (the operator starts it after {@code member add} printed its flags),
 * so MemberAdd only records it through Raft (etcd's semantics: listed at once, unstarted) and returns;
 * this loop then asks Ratis for the configuration the table describes and retries until it holds:
 * <ol>
 *   <li>first every change among peers already in the configuration (removals, promotions) in one
 *       step: it needs no staging, so a member that never starts cannot hold up a removal;</li>
 *   <li>then one new peer at a time, as voter or listener; a failed attempt (peer not up, staging
 *       timed out) backs off for that peer, up to {@link #MAX_BACKOFF_MS}.</li>
 * </ol>
 * Every configuration change stays one Ratis change at a time, so no quorum is ever computed over a
 * peer that has not caught up: unlike etcd, adding a voter that never starts does not weaken the
 * quorum. Level-triggered: a new leader simply continues.
 */
public final class ConfReconciler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConfReconciler.class);
  static final long TICK_MS = 200;
  static final long MAX_BACKOFF_MS = 5_000;

  private final RaftNode raft;
  private final Membership membership;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean busy = new AtomicBoolean();
  private final Map<Long, Long> retryAt = new HashMap<>();
  private final Map<Long, Long> backoff = new HashMap<>();

  private ConfReconciler(RaftNode raft, Membership membership) {
    this.raft = raft;
    this.membership = membership;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-members");
      t.setDaemon(true);
      return t;
    });
  }

  public static ConfReconciler start(RaftNode raft, Membership membership) {
    ConfReconciler r = new ConfReconciler(raft, membership);
    membership.registry().onChange(r::kick);
    r.timer.scheduleWithFixedDelay(r::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    return r;
  }

  /** A membership change was applied: look now rather than at the next tick. */
  void kick() {
    try {
      timer.execute(this::tick);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void tick() {
    try {
      if (!raft.isLeader() || !busy.compareAndSet(false, true)) {
        return;
      }
      if (!reconcile()) {
        busy.set(false);
      }
    } catch (RuntimeException e) {
      busy.set(false);
      LOG.debug("membership reconcile skipped: error=\"{}\"", e.toString());
    }
  }

  /** Starts at most one configuration change; true if one is in flight (it clears {@link #busy}). */
  private boolean reconcile() {
    Set<Long> voters = raft.memberIds(RaftPeerRole.FOLLOWER);
    Set<Long> learners = raft.memberIds(RaftPeerRole.LISTENER);
    // listeners whose staging ended are never marked caught up by Ratis 3.2.2 (see markCaughtUp)
    learners.forEach(raft::markCaughtUp);
    List<Member> want = membership.list();
    Map<Long, String> v = new LinkedHashMap<>();
    Map<Long, String> l = new LinkedHashMap<>();
    for (Member m : want) {
      if (voters.contains(m.getID()) || learners.contains(m.getID())) {
        (m.getIsLearner() ? l : v).put(m.getID(), "");
      }
    }
    if (!v.isEmpty() && (!v.keySet().equals(voters) || !l.keySet().equals(learners))) {
      return change(v, l, 0, "voters=" + hex(v.keySet()) + " learners=" + hex(l.keySet()));
    }
    // MemberUpdate moved a peer: its first peer URL is its Raft transport address (etcd's rafthttp
    // dials the peer URLs likewise); all moves in one change
    List<String> moved = new java.util.ArrayList<>();
    for (Member m : want) {
      Map<Long, String> side = m.getIsLearner() ? l : v;
      if (side.containsKey(m.getID()) && m.getPeerURLsCount() > 0) {
        String address = address(m.getPeerURLs(0));
        side.put(m.getID(), address);
        if (!raft.peerAddress(m.getID()).map(address::equals).orElse(true)) {
          moved.add(Long.toHexString(m.getID()) + "->" + address);
        }
      }
    }
    if (!v.isEmpty() && !moved.isEmpty()) {
      return change(v, l, 0, "move " + moved);
    }
    long now = System.nanoTime();
    for (Member m : want) {
      long id = m.getID();
      if (voters.contains(id) || learners.contains(id) || m.getPeerURLsCount() == 0
          || now - retryAt.getOrDefault(id, now) < 0) {
        continue;
      }
      (m.getIsLearner() ? l : v).put(id, address(m.getPeerURLs(0)));
      return change(v, l, id, "add " + (m.getIsLearner() ? "learner " : "voter ") + Long.toHexString(id));
    }
    return false;
  }

  private boolean change(Map<Long, String> v, Map<Long, String> l, long adding, String what) {
    LOG.info("reconfiguring raft: {}", what);
    raft.setConfiguration(v, l).whenComplete((ok, err) -> {
      if (err == null) {
        LOG.info("raft configuration changed: {}", what);
        retryAt.remove(adding);
        backoff.remove(adding);
      } else {
        long pause = adding == 0 ? TICK_MS : Math.min(MAX_BACKOFF_MS, backoff.getOrDefault(adding, 250L) * 2);
        backoff.put(adding, pause);
        retryAt.put(adding, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause));
        LOG.info("raft reconfiguration failed, will retry: change=\"{}\" retryInMs={} error=\"{}\"", what, pause,
            err.toString());
      }
      busy.set(false);
      if (err == null) {
        kick(); // maybe more to do; after a failure the next tick retries
      }
    });
    return true;
  }

  private static String address(String peerUrl) {
    URI u = URI.create(peerUrl);
    return u.getHost() + ":" + u.getPort();
  }

  private static List<String> hex(Set<Long> ids) {
    return ids.stream().map(Long::toHexString).toList();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
