package dev.strata.server.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.server.EtcdError;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.Member;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicated member table, like etcd's {@code membership.RaftCluster} store: every member record
 * (id, peer URLs, learner flag, and once published, name and client URLs) in the MEMBERS bucket (key:
 * the hex member id, as etcd keys it) and the ids of removed members in MEMBERS_REMOVED. Written on the
 * apply thread only, so every member holds the same table at the same applied index; a restart reloads
 * it. Values are {@code etcdserverpb.Member} protobufs rather than etcd's JSON: etcd tools never read
 * the bucket.
 *
 * <p>Members of the initial cluster appear here once they publish (their publish carries their peer
 * URLs); until then {@link Membership} lists them from the Raft configuration. The apply-time checks
 * below therefore see only recorded members; {@code ClusterService} checks the full list before it
 * proposes, as etcd checks at apply.
 */
public final class MemberRegistry {

  /** etcd allows one learner at a time ({@code membership.maxLearners}). */
  static final int MAX_LEARNERS = 1;
  private static final byte[] REMOVED = "removed".getBytes(StandardCharsets.UTF_8);

  private final Map<Long, Member> members = new ConcurrentHashMap<>();
  private final Set<Long> removed = ConcurrentHashMap.newKeySet();
  private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Runnable onChange = () -> listeners.forEach(Runnable::run);

  private MemberRegistry() {}

  /** Loads what the store holds (startup, before Raft applies anything). */
  public static MemberRegistry load(Backend backend) {
    MemberRegistry r = new MemberRegistry();
    r.reload(backend);
    return r;
  }

  /**
   * Replaces what this registry holds with what the store holds: at load, and after a snapshot install
   * replaced the store (apply thread, nothing applying). Then tells the change listener.
   */
  public void reload(Backend backend) {
    Map<Long, Member> loaded = new java.util.HashMap<>();
    Set<Long> gone = new HashSet<>();
    try (ReadView view = backend.readView()) {
      try (Cursor c = view.cursor(Bucket.MEMBERS, new byte[0], null)) {
        while (c.next()) {
          Member m = Member.parseFrom(c.value());
          loaded.put(m.getID(), m);
        }
      }
      try (Cursor c = view.cursor(Bucket.MEMBERS_REMOVED, new byte[0], null)) {
        while (c.next()) {
          gone.add(Long.parseUnsignedLong(new String(c.key(), StandardCharsets.UTF_8), 16));
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable MEMBERS bucket entry", e);
    }
    // put before removing: a concurrent reader never sees a member it knew vanish and come back
    members.putAll(loaded);
    members.keySet().retainAll(loaded.keySet());
    removed.addAll(gone);
    removed.retainAll(gone);
    onChange.run();
  }

  /**
   * {@code listener} runs after every applied membership change and every reload (the leader's
   * reconciler and the removal watch listen). On the apply thread: it must not block.
   */
  void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /**
   * Applies a published attribute set (etcd's publish: name and client URLs only). A member not recorded
   * yet (one of the initial cluster) is recorded with the peer URLs it published; a removed member's
   * publish is ignored, as etcd ignores it. Apply thread only. Returns the stored member.
   */
  public Member publish(MvccStore mvcc, Member published) {
    if (removed.contains(published.getID())) {
      return published;
    }
    Member existing = members.get(published.getID());
    Member.Builder b = existing != null ? existing.toBuilder() : Member.newBuilder().setID(published.getID());
    if (b.getPeerURLsCount() == 0) {
      b.addAllPeerURLs(published.getPeerURLsList());
    }
    Member stored = b.setName(published.getName()).clearClientURLs()
        .addAllClientURLs(published.getClientURLsList()).build();
    store(mvcc, stored);
    return stored;
  }

  /** etcd's {@code ValidateConfigurationChange} for an add, then records the member (unstarted). */
  public Member add(MvccStore mvcc, Member m) {
    if (members.containsKey(m.getID()) || removed.contains(m.getID())) {
      throw EtcdError.MEMBER_EXIST.exception();
    }
    checkPeerUrls(m.getID(), m.getPeerURLsList());
    if (m.getIsLearner() && learners() + 1 > MAX_LEARNERS) {
      throw EtcdError.TOO_MANY_LEARNERS.exception();
    }
    Member stored = Member.newBuilder().setID(m.getID()).addAllPeerURLs(m.getPeerURLsList())
        .setIsLearner(m.getIsLearner()).build();
    store(mvcc, stored);
    return stored;
  }

  /** MemberUpdate: new peer URLs for a recorded member. */
  public Member update(MvccStore mvcc, Member m) {
    Member existing = members.get(m.getID());
    if (existing == null) {
      throw EtcdError.MEMBER_NOT_FOUND.exception();
    }
    checkPeerUrls(m.getID(), m.getPeerURLsList());
    Member stored = existing.toBuilder().clearPeerURLs().addAllPeerURLs(m.getPeerURLsList()).build();
    store(mvcc, stored);
    return stored;
  }

  /** MemberPromote: a recorded learner becomes a voter. */
  public Member promote(MvccStore mvcc, long id) {
    Member existing = members.get(id);
    if (existing == null) {
      throw EtcdError.MEMBER_NOT_FOUND.exception();
    }
    if (!existing.getIsLearner()) {
      throw EtcdError.MEMBER_NOT_LEARNER.exception();
    }
    Member stored = existing.toBuilder().setIsLearner(false).build();
    store(mvcc, stored);
    return stored;
  }

  /**
   * MemberRemove: forgets the record and remembers the id as removed (etcd's members_removed), so the
   * id is never listed or reused. A member of the initial cluster that never published has no record:
   * its removal is recorded all the same.
   */
  public Member remove(MvccStore mvcc, long id) {
    if (removed.contains(id)) {
      throw EtcdError.MEMBER_NOT_FOUND.exception();
    }
    byte[] key = key(id);
    mvcc.writeMembership(Bucket.MEMBERS, key, null);
    mvcc.writeMembership(Bucket.MEMBERS_REMOVED, key(id), REMOVED.clone());
    removed.add(id);
    Member gone = members.remove(id);
    onChange.run();
    return gone != null ? gone : Member.newBuilder().setID(id).build();
  }

  private void checkPeerUrls(long id, List<String> urls) {
    Set<String> taken = new HashSet<>();
    members.values().stream().filter(o -> o.getID() != id).forEach(o -> taken.addAll(o.getPeerURLsList()));
    for (String u : urls) {
      if (taken.contains(u)) {
        throw EtcdError.PEER_URL_EXIST.exception();
      }
    }
  }

  private long learners() {
    return members.values().stream().filter(Member::getIsLearner).count();
  }

  private void store(MvccStore mvcc, Member m) {
    mvcc.writeMembership(Bucket.MEMBERS, key(m.getID()), m.toByteArray());
    members.put(m.getID(), m);
    onChange.run();
  }

  private static byte[] key(long id) {
    return Long.toHexString(id).getBytes(StandardCharsets.UTF_8);
  }

  /** The record of {@code id} (peer URLs, learner flag, published attributes), if recorded. */
  public Optional<Member> attributes(long id) {
    return Optional.ofNullable(members.get(id));
  }

  /** Ids of every recorded member. */
  Set<Long> ids() {
    return Set.copyOf(members.keySet());
  }

  boolean isRemoved(long id) {
    return removed.contains(id);
  }
}
