package dev.strata.server.raft;

import java.io.Closeable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerRpcWithProxy;
import org.apache.ratis.util.PeerProxyMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces Ratis' connections to peers whose address moved (MemberUpdate). Ratis keeps one proxy per
 * peer id and never replaces it ({@code PeerProxyMap.addRaftPeers} is computeIfAbsent, and a reset
 * rebuilds it from the old peer), so a moved peer would stay unreachable until every member restarted.
 * The map is private: this goes through reflection, and logs and does nothing if Ratis' internals
 * changed.
 */
final class PeerProxies {

  private static final Logger LOG = LoggerFactory.getLogger(PeerProxies.class);

  private PeerProxies() {}

  /** Points the proxies of {@code server} at the addresses of {@code wanted}; true if any moved. */
  static boolean replaceMoved(RaftServer server, List<RaftPeer> wanted) {
    if (!(server.getServerRpc() instanceof RaftServerRpcWithProxy<?, ?> withProxy)) {
      return false;
    }
    try {
      PeerProxyMap<?> proxies = withProxy.getProxies();
      var field = PeerProxyMap.class.getDeclaredField("peers");
      field.setAccessible(true);
      @SuppressWarnings("unchecked")
      var peers = (Map<RaftPeerId, Object>) field.get(proxies);
      boolean moved = false;
      for (RaftPeer p : wanted) {
        if (!p.getId().equals(server.getId())) {
          moved |= replaceIfMoved(proxies, peers, p);
        }
      }
      return moved;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot refresh peer addresses (Ratis internals changed?): error=\"{}\"", e.toString());
      return false;
    }
  }

  private static boolean replaceIfMoved(PeerProxyMap<?> proxies, Map<RaftPeerId, Object> peers, RaftPeer wanted)
      throws ReflectiveOperationException {
    Object entry = peers.get(wanted.getId());
    if (entry == null) {
      return false;
    }
    var getPeer = entry.getClass().getDeclaredMethod("getPeer");
    getPeer.setAccessible(true);
    RaftPeer current = (RaftPeer) getPeer.invoke(entry);
    if (current.getAddress().equals(wanted.getAddress()) || !peers.remove(wanted.getId(), entry)) {
      return false;
    }
    proxies.computeIfAbsent(wanted);
    var close = entry.getClass().getDeclaredMethod("setNullProxyAndClose");
    close.setAccessible(true);
    ((Optional<?>) close.invoke(entry)).ifPresent(p -> RaftNode.closeInBackground((Closeable) p));
    LOG.info("peer moved: peer={} from={} to={}", wanted.getId(), current.getAddress(), wanted.getAddress());
    return true;
  }
}
