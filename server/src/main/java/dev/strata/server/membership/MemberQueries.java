package dev.strata.server.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.server.EtcdException;
import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.membership.proto.MemberQuery;
import dev.strata.server.membership.proto.MemberQueryReply;
import io.etcd.jetcd.api.Member;
import dev.strata.server.raft.RaftNode;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The leader's answers to membership queries arriving as Ratis read-only requests (Ratis runs them after
 * a ReadIndex round, so the answer reflects everything committed before): who a joining member is, and
 * whether a learner may be promoted. The wire form is one 0x00 byte and a {@link MemberQuery}.
 */
public final class MemberQueries {

  private final Membership membership;
  private final ClusterIdentity ids;
  private final boolean strict;
  private final Executor executor;

  public MemberQueries(Membership membership, ClusterIdentity ids, boolean strictReconfigCheck, Executor executor) {
    this.membership = membership;
    this.ids = ids;
    this.strict = strictReconfigCheck;
    this.executor = executor;
  }

  /** Encodes a query for the wire. */
  public static byte[] encode(MemberQuery q) {
    byte[] body = q.toByteArray();
    byte[] out = new byte[body.length + 1];
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  /**
   * A member's first client URL as the leader lists it, asked over Raft: for a member that has not
   * applied the member's publication itself (snapshot catch-up of a new member). Empty if the leader
   * does not know one or cannot be asked within {@code timeout}.
   */
  public static Optional<URI> clientUrlFromLeader(RaftNode raft, long memberId, Duration timeout) {
    try {
      byte[] reply = raft.queryLeader(encode(MemberQuery.newBuilder().setList(true).build()))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return MemberQueryReply.parseFrom(reply).getMembersList().stream()
          .filter(m -> m.getID() == memberId && m.getClientURLsCount() > 0)
          .map(m -> URI.create(m.getClientURLs(0)))
          .findFirst();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException | TimeoutException | InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  /** Answers one query (its bytes after the 0x00 marker); off Ratis' threads. */
  public CompletableFuture<byte[]> answer(byte[] marked) {
    return CompletableFuture.supplyAsync(() -> {
      MemberQuery q;
      try {
        q = MemberQuery.parseFrom(java.util.Arrays.copyOfRange(marked, 1, marked.length));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("undecodable member query", e);
      }
      MemberQueryReply.Builder r = MemberQueryReply.newBuilder().setClusterId(ids.clusterId());
      try {
        switch (q.getOpCase()) {
          case JOIN -> join(q.getJoin().getPeerUrlsList(), r);
          case PROMOTE_CHECK -> membership.checkPromote(q.getPromoteCheck(), strict);
          case LIST -> r.addAllMembers(membership.list());
          case OP_NOT_SET -> throw new IllegalArgumentException("empty member query");
        }
      } catch (EtcdException e) {
        r.setEtcdError(e.error().name());
      }
      return r.build().toByteArray();
    }, executor);
  }

  /**
   * etcd's {@code ValidateClusterAndAssignIDs}: the joiner is the member whose peer URLs equal its
   * advertised ones; it learns its id and the member list. Not found → member_id 0.
   */
  private void join(List<String> peerUrls, MemberQueryReply.Builder r) {
    List<Member> members = membership.list();
    r.addAllMembers(members);
    var wanted = new HashSet<>(peerUrls);
    for (Member m : members) {
      if (new HashSet<>(m.getPeerURLsList()).equals(wanted)) {
        r.setMemberId(m.getID());
      }
    }
  }
}
