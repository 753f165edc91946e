package dev.strata.server.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.Member;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attributes members published through Raft (name, client URLs), keyed by member id. Written on
 * the apply thread into the MEMBERS bucket (key: the hex member id, as etcd keys it), so every member
 * holds the same attributes at the same applied index and a restart reloads them. The value is the
 * {@code etcdserverpb.Member} protobuf rather than etcd's JSON: the bucket is never read by etcd tools.
 */
public final class MemberRegistry {

  private final Map<Long, Member> attributes = new ConcurrentHashMap<>();

  private MemberRegistry() {}

  /** Loads what the store holds (startup, before Raft applies anything). */
  public static MemberRegistry load(Backend backend) {
    MemberRegistry r = new MemberRegistry();
    r.reload(backend);
    return r;
  }

  /**
   * Replaces what this registry holds with what the store holds: at load, and after a snapshot install
   * replaced the store (apply thread, nothing applying).
   */
  public void reload(Backend backend) {
    Map<Long, Member> loaded = new java.util.HashMap<>();
    try (ReadView view = backend.readView(); Cursor c = view.cursor(Bucket.MEMBERS, new byte[0], null)) {
      while (c.next()) {
        Member m = Member.parseFrom(c.value());
        loaded.put(m.getID(), m);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable MEMBERS bucket entry", e);
    }
    // put before removing: a concurrent reader never sees a member it knew vanish and come back
    attributes.putAll(loaded);
    attributes.keySet().retainAll(loaded.keySet());
  }

  /** Applies a published attribute set; apply thread only. Returns the stored member. */
  public Member publish(MvccStore mvcc, Member published) {
    Member stored = published.toBuilder().clearPeerURLs().clearIsLearner().build();
    mvcc.putMember(Long.toHexString(stored.getID()).getBytes(StandardCharsets.UTF_8), stored.toByteArray());
    attributes.put(stored.getID(), stored);
    return stored;
  }

  /** The published attributes of {@code id}, if it has published any. */
  public Optional<Member> attributes(long id) {
    return Optional.ofNullable(attributes.get(id));
  }
}
