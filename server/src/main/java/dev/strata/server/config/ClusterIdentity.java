package dev.strata.server.config;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
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
 * @param members member id to its peer URLs, in --initial-cluster order (a joiner: the members the
 *     cluster listed when it joined, itself included)
 * @param joined this member joined a running cluster ({@code --initial-cluster-state existing}): it
 *     starts Raft outside the configuration and waits for the leader to add it
 */
public record ClusterIdentity(long clusterId, long memberId, Map<Long, Member> members, boolean joined) {

  public ClusterIdentity(long clusterId, long memberId, Map<Long, Member> members) {
    this(clusterId, memberId, members, false);
  }

  /** Where the identity is kept once known: etcd ignores --initial-cluster* once the data dir exists. */
  public static Path file(Path dataDir) {
    return dataDir.resolve("member").resolve("identity");
  }

  /**
   * Writes the identity atomically (temp file, fsync, rename): one line per fact,
   * {@code cluster <hex>}, {@code member <hex>}, {@code joined <bool>}, {@code peer <hex> <name> <url,...>}.
   */
  public void save(Path dataDir) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("cluster ").append(Long.toHexString(clusterId)).append('\n');
    b.append("member ").append(Long.toHexString(memberId)).append('\n');
    b.append("joined ").append(joined).append('\n');
    for (Member m : members.values()) {
      List<String> urls = new ArrayList<>();
      m.peerUrls().forEach(u -> urls.add(u.toString()));
      b.append("peer ").append(m.hexId()).append(' ').append(m.name().isEmpty() ? "-" : m.name()).append(' ')
          .append(String.join(",", urls)).append('\n');
    }
    Path target = file(dataDir);
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling("identity.tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The identity saved in {@code dataDir}, if any. */
  public static Optional<ClusterIdentity> load(Path dataDir) throws IOException {
    Path f = file(dataDir);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    long cluster = 0;
    long member = 0;
    boolean joined = false;
    Map<Long, Member> members = new LinkedHashMap<>();
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      String[] p = line.split(" ");
      switch (p[0]) {
        case "cluster" -> cluster = Long.parseUnsignedLong(p[1], 16);
        case "member" -> member = Long.parseUnsignedLong(p[1], 16);
        case "joined" -> joined = Boolean.parseBoolean(p[1]);
        case "peer" -> {
          long id = Long.parseUnsignedLong(p[1], 16);
          List<URI> urls = new ArrayList<>();
          for (String u : p[3].split(",")) {
            urls.add(URI.create(u));
          }
          members.put(id, new Member(id, p[2].equals("-") ? "" : p[2], urls));
        }
        default -> throw new IOException(f + ": unknown line '" + line + "'");
      }
    }
    if (!members.containsKey(member)) {
      throw new IOException(f + ": member " + Long.toHexString(member) + " has no peer line");
    }
    return Optional.of(new ClusterIdentity(cluster, member, Collections.unmodifiableMap(members), joined));
  }

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
