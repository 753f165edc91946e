package dev.strata.server.config;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Member and cluster ids computed exactly like etcd, so a Strata member started with etcd's flags reports
 * the ids etcd would ({@code server/etcdserver/api/membership/member.go computeMemberId} and
 * {@code cluster.go genID}): a member id is the first 8 bytes of SHA-1 over its sorted peer URLs joined
 * with "" followed by the cluster token; the cluster id is the first 8 bytes of SHA-1 over the sorted
 * member ids, each 8 bytes big-endian.
 *
 * @param members member id to its peer URLs, in --initial-cluster order
 */
public record ClusterIdentity(long clusterId, long memberId, Map<Long, Member> members) {

  /** One member of the initial cluster. */
  public record Member(long id, String name, List<URI> peerUrls) {
    /** The peer id used in Ratis: etcd's hex rendering of the member id. */
    public String hexId() {
      return Long.toHexString(id);
    }
  }

  public static ClusterIdentity of(ServerConfig config) {
    Map<Long, Member> members = new LinkedHashMap<>();
    for (var e : config.initialCluster().entrySet()) {
      long id = memberId(e.getValue(), config.initialClusterToken());
      members.put(id, new Member(id, e.getKey(), e.getValue()));
    }
    Member self = members.values().stream().filter(m -> m.name().equals(config.name())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("--initial-cluster has no member named '"
            + config.name() + "' (--name)"));
    return new ClusterIdentity(clusterId(members.keySet()), self.id(), Collections.unmodifiableMap(members));
  }

  public static long memberId(List<URI> peerUrls, String clusterToken) {
    List<String> urls = new ArrayList<>();
    peerUrls.forEach(u -> urls.add(u.toString()));
    Collections.sort(urls);
    String joined = String.join("", urls) + clusterToken;
    return ByteBuffer.wrap(sha1(joined.getBytes(StandardCharsets.UTF_8))).getLong();
  }

  public static long clusterId(Iterable<Long> memberIds) {
    List<Long> ids = new ArrayList<>();
    memberIds.forEach(ids::add);
    ids.sort(Long::compareUnsigned);
    ByteBuffer b = ByteBuffer.allocate(8 * ids.size());
    ids.forEach(b::putLong);
    return ByteBuffer.wrap(sha1(b.array())).getLong();
  }

  public Member self() {
    return members.get(memberId);
  }

  /** The Raft group id: derived from the cluster id, so every member of one cluster computes the same. */
  public UUID raftGroupId() {
    byte[] h = sha1(("strata-raft-group/" + Long.toHexString(clusterId)).getBytes(StandardCharsets.UTF_8));
    ByteBuffer b = ByteBuffer.wrap(h);
    return new UUID(b.getLong(), b.getLong());
  }

  private static byte[] sha1(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }
}
