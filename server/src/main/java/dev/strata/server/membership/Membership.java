package dev.strata.server.membership;

import dev.strata.server.EtcdError;
import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.raft.RaftNode;
import io.etcd.jetcd.api.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;

/**
 * The member list as etcd reports it, merged from the replicated {@link MemberRegistry} (added members,
 * published attributes, learner flags, removals) and the Ratis configuration (initial members that have
 * not published yet), plus etcd's strict-reconfiguration checks over it ({@code server.go mayAddMember},
 * {@code mayPromoteMember}, {@code isLearnerReady}).
 */
public final class Membership {

  /** A voter the leader heard from this recently counts as connected (etcd's HealthInterval). */
  static final Duration ACTIVE_WINDOW = Duration.ofSeconds(5);
  /** etcd's readyPercent: a learner may be promoted once its match index is ≥ 90% of the leader's. */
  static final double READY_PERCENT = 0.9;

  private final RaftNode raft;
  private final MemberRegistry registry;
  private final ClusterIdentity ids;

  public Membership(RaftNode raft, MemberRegistry registry, ClusterIdentity ids) {
    this.raft = raft;
    this.registry = registry;
    this.ids = ids;
  }

  public MemberRegistry registry() {
    return registry;
  }

  /**
   * Every member, by unsigned id like etcd ({@code membership.MembersByID}). A member that has not
   * published has an empty name and no client URLs, as in etcd.
   */
  public List<Member> list() {
    Set<Long> voters = raft.memberIds(RaftPeerRole.FOLLOWER);
    Set<Long> learners = raft.memberIds(RaftPeerRole.LISTENER);
    Set<Long> all = new TreeSet<>(Long::compareUnsigned);
    all.addAll(voters);
    all.addAll(learners);
    all.addAll(registry.ids());
    List<Member> out = new ArrayList<>();
    for (long id : all) {
      if (!registry.isRemoved(id)) {
        out.add(member(id, learners.contains(id)));
      }
    }
    return out;
  }

  public Optional<Member> get(long id) {
    return list().stream().filter(m -> m.getID() == id).findFirst();
  }

  private Member member(long id, boolean listener) {
    Optional<Member> rec = registry.attributes(id);
    Member.Builder m = rec.map(Member::toBuilder).orElseGet(() -> Member.newBuilder().setID(id).setIsLearner(listener));
    if (m.getPeerURLsCount() == 0) {
      ClusterIdentity.Member initial = ids.members().get(id);
      if (initial != null) {
        initial.peerUrls().forEach(u -> m.addPeerURLs(u.toString()));
      } else {
        raft.peerAddress(id).ifPresent(a -> m.addPeerURLs("http://" + a));
      }
    }
    return m.build();
  }

  /**
   * etcd's mayAddMember with --strict-reconfig-check: a voter is added only while the started voters
   * reach the quorum of the grown cluster, and (on the leader, which alone knows) every voter is
   * connected.
   */
  public void checkAdd(boolean learner) {
    List<Member> voters = list().stream().filter(m -> !m.getIsLearner()).toList();
    if (!learner) {
      long started = voters.stream().filter(m -> !m.getName().isEmpty()).count();
      if (started < (voters.size() + 1) / 2 + 1) {
        throw EtcdError.NOT_ENOUGH_STARTED.exception();
      }
    }
    checkConnected(voters);
  }

  /**
   * etcd's mayPromoteMember, on the leader: the learner's match index must reach 90% of the leader's
   * (an unknown id passes here and fails at apply with member not found, as in etcd); then with strict
   * reconfig the started voters plus the learner must reach the grown quorum, all voters connected.
   */
  public void checkPromote(long id, boolean strict) {
    if (!raft.isLeader()) {
      throw EtcdError.NOT_LEADER.exception();
    }
    Optional<Member> m = get(id);
    if (m.isPresent() && m.get().getIsLearner()) {
      OptionalLong match = raft.followerMatchIndex(id);
      // a learner the leader does not replicate to yet (not started, still being added) has match 0
      if (match.orElse(0) < raft.lastLogIndex() * READY_PERCENT) {
        throw EtcdError.LEARNER_NOT_READY.exception();
      }
    }
    if (!strict) {
      return;
    }
    List<Member> voters = list().stream().filter(v -> !v.getIsLearner()).toList();
    long started = 1 + voters.stream().filter(v -> !v.getName().isEmpty()).count();
    if (started < (voters.size() + 1) / 2 + 1) {
      throw EtcdError.NOT_ENOUGH_STARTED.exception();
    }
    checkConnected(voters);
  }

  private void checkConnected(List<Member> voters) {
    if (!raft.isLeader()) {
      return; // a follower cannot tell; Ratis refuses what it cannot commit
    }
    Set<Long> active = raft.activeVoterIds(ACTIVE_WINDOW);
    for (Member v : voters) {
      if (!active.contains(v.getID())) {
        throw EtcdError.UNHEALTHY_CLUSTER.exception();
      }
    }
  }
}
