package dev.strata.server.membership;

import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.etcdserver.EtcdServer;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;

/**
 * etcd's Cluster service. Which members exist and which are learners comes from the Raft
 * configuration; names and client URLs from the attributes each member published through Raft
 * ({@link MemberRegistry}), so every member answers alike. Member headers carry no revision
 * ({@code v3rpc/member.go}). MemberAdd/Update/Promote are not implemented yet (UNIMPLEMENTED).
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {

  /** A voter the leader heard from this recently counts as active (etcd: connected transport). */
  private static final Duration ACTIVE_WINDOW = Duration.ofSeconds(5);

  private final EtcdServer server;

  public ClusterService(EtcdServer server) {
    this.server = server;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    try {
      observer.onNext(MemberListResponse.newBuilder()
          .setHeader(server.memberHeader())
          .addAllMembers(members())
          .build());
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(Status.UNAVAILABLE.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
    }
  }

  /**
   * etcd's MemberRemove ({@code server.go RemoveMember}): unknown id → not found; with strict reconfig
   * (etcd's default) a removal that leaves fewer active voters than the new quorum → unhealthy cluster.
   * Only the leader knows which voters are active, so a follower skips that check and relies on Ratis
   * refusing a configuration it cannot commit.
   */
  @Override
  public void memberRemove(MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
    // setConfiguration blocks until the new configuration commits: never on the gRPC event loop
    CompletableFuture.supplyAsync(() -> {
      long id = request.getID();
      Set<Long> voters = new HashSet<>(server.raft().memberIds(RaftPeerRole.FOLLOWER));
      Set<Long> learners = new HashSet<>(server.raft().memberIds(RaftPeerRole.LISTENER));
      if (!voters.remove(id) && !learners.remove(id)) {
        throw EtcdError.MEMBER_NOT_FOUND.exception();
      }
      if (server.raft().isLeader()) {
        Set<Long> active = server.raft().activeVoterIds(ACTIVE_WINDOW);
        active.retainAll(voters);
        if (active.size() < voters.size() / 2 + 1) {
          throw EtcdError.UNHEALTHY_CLUSTER.exception();
        }
      }
      try {
        server.raft().setMembers(voters, learners);
      } catch (IOException e) {
        throw new IllegalStateException("reconfiguration failed: " + e.getMessage(), e);
      }
      return MemberRemoveResponse.newBuilder().setHeader(server.memberHeader()).addAllMembers(members()).build();
    }).whenComplete((resp, err) -> {
      if (err == null) {
        observer.onNext(resp);
        observer.onCompleted();
      } else {
        Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        observer.onError(t instanceof EtcdException e ? e.toStatusException()
            : Status.UNKNOWN.withDescription(String.valueOf(t.getMessage())).asRuntimeException());
      }
    });
  }

  /** etcd lists members by id ({@code membership.MembersByID}), unsigned. */
  private List<Member> members() {
    Set<Long> voters = server.raft().memberIds(RaftPeerRole.FOLLOWER);
    Set<Long> learners = server.raft().memberIds(RaftPeerRole.LISTENER);
    Set<Long> all = new TreeSet<>(Long::compareUnsigned);
    all.addAll(voters);
    all.addAll(learners);
    List<Member> out = new ArrayList<>();
    for (long id : all) {
      Member.Builder m = Member.newBuilder().setID(id).setIsLearner(learners.contains(id));
      ClusterIdentity.Member initial = server.identity().members().get(id);
      if (initial != null) {
        initial.peerUrls().forEach(u -> m.addPeerURLs(u.toString()));
      }
      // an unpublished member has an empty name and no client URLs, as in etcd
      server.members().attributes(id).ifPresent(a -> m.setName(a.getName()).addAllClientURLs(a.getClientURLsList()));
      out.add(m.build());
    }
    return out;
  }
}
