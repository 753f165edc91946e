package dev.strata.server.membership;

import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.config.ServerConfig;
import dev.strata.server.membership.proto.JoinQuery;
import dev.strata.server.membership.proto.MemberQuery;
import dev.strata.server.membership.proto.MemberQueryReply;
import dev.strata.server.raft.PeerProbe;
import io.etcd.jetcd.api.Member;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides who this member is, like etcd's bootstrap ({@code etcdserver/server.go NewServer}):
 * <ul>
 *   <li>a data dir that already knows (the {@code member/identity} file) wins; --initial-cluster* flags
 *       are ignored, as etcd ignores them once it has a data dir;</li>
 *   <li>{@code --initial-cluster-state new}: ids computed from --initial-cluster and the token;</li>
 *   <li>{@code existing}: asks the members listed in --initial-cluster (other than itself) for the
 *       cluster id and the id the cluster gave its advertised peer URLs (MemberAdd), and fails with one
 *       line if none answers or the cluster has no such member.</li>
 * </ul>
 * The result is saved in the data dir before Raft starts.
 */
public final class ClusterBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterBootstrap.class);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

  private ClusterBootstrap() {}

  /**
   * @throws IllegalArgumentException with a one-line reason when the cluster cannot be joined
   */
  public static ClusterIdentity identity(ServerConfig cfg) throws IOException {
    var saved = ClusterIdentity.load(cfg.dataDir());
    if (saved.isPresent()) {
      return saved.get();
    }
    ClusterIdentity ids;
    if (cfg.initialClusterState() == ServerConfig.ClusterState.EXISTING) {
      ids = join(cfg);
    } else {
      ids = ClusterIdentity.of(cfg);
    }
    ids.save(cfg.dataDir());
    return ids;
  }

  private static ClusterIdentity join(ServerConfig cfg) {
    Set<String> own = new HashSet<>();
    cfg.initialAdvertisePeerUrls().forEach(u -> own.add(u.toString()));
    byte[] query = MemberQueries.encode(MemberQuery.newBuilder()
        .setJoin(JoinQuery.newBuilder().addAllPeerUrls(own)).build());
    List<String> tried = new ArrayList<>();
    String lastError = "no peer URLs besides this member's in --initial-cluster";
    for (var e : cfg.initialCluster().entrySet()) {
      for (URI u : e.getValue()) {
        if (own.contains(u.toString())) {
          continue;
        }
        String hostPort = u.getHost() + ":" + u.getPort();
        tried.add(u.toString());
        try {
          PeerProbe.Answer a = PeerProbe.ask(hostPort, query, ASK_TIMEOUT);
          MemberQueryReply r = MemberQueryReply.parseFrom(a.reply());
          if (r.getMemberId() == 0) {
            throw new IllegalArgumentException("the cluster at " + u + " has no member with peer URLs " + own
                + " (add it first: etcdctl member add " + cfg.name() + " --peer-urls=" + String.join(",", own) + ")");
          }
          LOG.info("joined existing cluster: clusterId={} memberId={} askedPeer={}",
              Long.toHexString(r.getClusterId()), Long.toHexString(r.getMemberId()), u);
          return identity(r, cfg.name());
        } catch (IOException ex) {
          lastError = String.valueOf(ex.getMessage());
          LOG.warn("cannot fetch cluster info from peer: url={} error=\"{}\"", u, lastError);
        }
      }
    }
    throw new IllegalArgumentException("cannot fetch cluster info from peers " + tried + " (--initial-cluster-state"
        + " existing): " + lastError);
  }

  private static ClusterIdentity identity(MemberQueryReply r, String name) {
    Map<Long, ClusterIdentity.Member> members = new LinkedHashMap<>();
    for (Member m : r.getMembersList()) {
      List<URI> urls = new ArrayList<>();
      m.getPeerURLsList().forEach(u -> urls.add(URI.create(u)));
      String n = m.getID() == r.getMemberId() ? name : m.getName();
      if (!urls.isEmpty()) {
        members.put(m.getID(), new ClusterIdentity.Member(m.getID(), n, urls));
      }
    }
    return new ClusterIdentity(r.getClusterId(), r.getMemberId(), Collections.unmodifiableMap(members), true);
  }
}
