package dev.strata.server.raft;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.GroupListReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * Asks a running member, at its peer address (its Ratis gRPC server), about its cluster, before this
 * member runs Raft itself: which Raft group it serves and who is in it (Ratis group management: list,
 * then info), then a read-only query to that group's leader, answered by the leader's state machine.
 * A joining member uses it the way etcd fetches the cluster from its peers over peer HTTP.
 */
public final class PeerProbe {

  /** What one peer told: its group's peers (member id → host:port) and the leader's answer. */
  public record Answer(Map<Long, String> peers, byte[] reply) {}

  private PeerProbe() {}

  /** Throws IOException if the peer cannot be reached or no leader answers within {@code timeout}. */
  public static Answer ask(String hostPort, byte[] query, Duration timeout) throws IOException {
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(timeout.toMillis(), TimeUnit.MILLISECONDS));
    var retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(10, TimeDuration.valueOf(300, TimeUnit.MILLISECONDS));
    // the peer's id is not known yet: group management requests are answered by the server, whatever id
    // the client addresses it by
    RaftPeer probe = RaftPeer.newBuilder().setId("probe").setAddress(hostPort).build();
    RaftGroup group;
    try (RaftClient c = RaftClient.newBuilder().setRaftGroup(RaftGroup.valueOf(RaftGroupId.randomId(), probe))
        .setProperties(props).setRetryPolicy(RetryPolicies.noRetry()).build()) {
      GroupListReply list = c.getGroupManagementApi(probe.getId()).list();
      if (list.getGroupIds().isEmpty()) {
        throw new IOException(hostPort + " serves no raft group");
      }
      GroupInfoReply info = c.getGroupManagementApi(probe.getId()).info(list.getGroupIds().get(0));
      group = info.getGroup();
    }
    Map<Long, String> peers = new LinkedHashMap<>();
    for (RaftPeer p : group.getPeers()) {
      peers.put(Long.parseUnsignedLong(p.getId().toString(), 16), p.getAddress());
    }
    try (RaftClient c = RaftClient.newBuilder().setRaftGroup(group).setProperties(props).setRetryPolicy(retry).build()) {
      RaftClientReply r = c.io().sendReadOnly(Message.valueOf(ByteString.copyFrom(query)));
      if (!r.isSuccess()) {
        throw r.getException() != null ? r.getException() : new IOException("query failed");
      }
      return new Answer(peers, r.getMessage().getContent().toByteArray());
    }
  }

  static RaftPeerId idOf(long memberId) {
    return RaftPeerId.valueOf(Long.toHexString(memberId));
  }
}
