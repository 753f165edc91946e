package dev.strata.server.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import dev.strata.server.etcdserver.EtcdServer;
import dev.strata.server.membership.proto.MemberQuery;
import dev.strata.server.membership.proto.MemberQueryReply;
import dev.strata.server.raft.proto.Request;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import dev.strata.server.membership.proto.MemberPromoteRequest;
import dev.strata.server.membership.proto.MemberPromoteResponse;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.etcd.jetcd.api.MemberUpdateResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * etcd's Cluster service ({@code v3rpc/member.go}, {@code etcdserver/server.go}). Changes are recorded
 * through Raft in the member table ({@link MemberRegistry}) and answered once applied here; the leader's
 * {@link ConfReconciler} then moves the Ratis configuration, so MemberAdd returns at once although the
 * new member is not running yet. Member headers carry no revision.
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {

  static final MethodDescriptor<MemberPromoteRequest, MemberPromoteResponse> MEMBER_PROMOTE =
      MethodDescriptor.<MemberPromoteRequest, MemberPromoteResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(ClusterGrpc.SERVICE_NAME, "MemberPromote"))
          .setRequestMarshaller(ProtoUtils.marshaller(MemberPromoteRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(MemberPromoteResponse.getDefaultInstance()))
          .build();

  private final EtcdServer server;
  private final Membership membership;
  private final boolean strict;

  public ClusterService(EtcdServer server) {
    this.server = server;
    this.membership = server.membership();
    this.strict = server.config().strictReconfigCheck();
  }

  /** The service definition to register: the generated methods plus MemberPromote. */
  public ServerServiceDefinition definition() {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(ClusterGrpc.SERVICE_NAME);
    bindService().getMethods().forEach(b::addMethod);
    b.addMethod(MEMBER_PROMOTE, ServerCalls.asyncUnaryCall(this::memberPromote));
    return b.build();
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    try {
      observer.onNext(MemberListResponse.newBuilder()
          .setHeader(server.memberHeader())
          .addAllMembers(membership.list())
          .build());
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(Status.UNAVAILABLE.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
    }
  }

  /**
   * etcd 3.4's MemberAdd: URLs as {@code types.NewURLs} accepts them, the id from
   * {@code membership.NewMember("", urls, "", now)}, strict-reconfig checks, then the add through Raft
   * with etcd's apply-time checks (id exists, peer URL exists, too many learners).
   */
  @Override
  public void memberAdd(MemberAddRequest request, StreamObserver<MemberAddResponse> observer) {
    respond(observer, () -> {
      List<String> urls = peerUrls(request.getPeerURLsList());
      long id = newMemberId(urls, System.currentTimeMillis() / 1000);
      // etcd's order: the strict checks (AddMember → mayAddMember) come before the apply-time ones
      if (strict) {
        membership.checkAdd(request.getIsLearner());
      }
      Set<String> taken = new HashSet<>();
      for (Member m : membership.list()) {
        if (m.getID() == id) {
          throw EtcdError.MEMBER_EXIST.exception();
        }
        taken.addAll(m.getPeerURLsList());
      }
      if (urls.stream().anyMatch(taken::contains)) {
        throw EtcdError.PEER_URL_EXIST.exception();
      }
      if (request.getIsLearner()
          && membership.list().stream().filter(Member::getIsLearner).count() + 1 > MemberRegistry.MAX_LEARNERS) {
        throw EtcdError.TOO_MANY_LEARNERS.exception();
      }
      Member added = Member.newBuilder().setID(id).addAllPeerURLs(urls).setIsLearner(request.getIsLearner()).build();
      join(server.proposeMembership(Request.newBuilder().setMemberAdd(added)));
      return MemberAddResponse.newBuilder().setHeader(server.memberHeader()).setMember(added)
          .addAllMembers(membership.list()).build();
    });
  }

  /**
   * etcd's RemoveMember: unknown id → not found; with strict reconfig, removing a voter must leave
   * enough started voters for the new quorum and, of those the leader hears from, a quorum. Answers
   * once Ratis dropped the member (or after the request timeout, the removal being recorded).
   */
  @Override
  public void memberRemove(MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
    respond(observer, () -> {
      long id = request.getID();
      Member target = membership.get(id).orElseThrow(EtcdError.MEMBER_NOT_FOUND::exception);
      if (strict && !target.getIsLearner()) {
        List<Member> rest = membership.list().stream().filter(m -> !m.getIsLearner() && m.getID() != id).toList();
        long started = rest.stream().filter(m -> !m.getName().isEmpty()).count();
        if (started < rest.size() / 2 + 1) {
          throw EtcdError.NOT_ENOUGH_STARTED.exception();
        }
        if (server.raft().isLeader()) {
          Set<Long> active = server.raft().activeVoterIds(Membership.ACTIVE_WINDOW);
          long activeRest = rest.stream().filter(m -> active.contains(m.getID())).count();
          if (active.contains(id) && activeRest < rest.size() / 2 + 1) {
            throw EtcdError.UNHEALTHY_CLUSTER.exception();
          }
        }
      }
      join(server.proposeMembership(Request.newBuilder().setMemberRemove(id)));
      awaitOutOfConfiguration(id);
      return MemberRemoveResponse.newBuilder().setHeader(server.memberHeader()).addAllMembers(membership.list()).build();
    });
  }

  /** etcd 3.4's UpdateMember: peer URLs taken as given (3.4 does not parse them), not found / URL taken. */
  @Override
  public void memberUpdate(MemberUpdateRequest request, StreamObserver<MemberUpdateResponse> observer) {
    respond(observer, () -> {
      long id = request.getID();
      membership.get(id).orElseThrow(EtcdError.MEMBER_NOT_FOUND::exception);
      for (Member m : membership.list()) {
        if (m.getID() != id && m.getPeerURLsList().stream().anyMatch(request.getPeerURLsList()::contains)) {
          throw EtcdError.PEER_URL_EXIST.exception();
        }
      }
      Member current = membership.get(id).get();
      if (server.members().attributes(id).isEmpty()) {
        // an initial member that has not published has no record to update yet: record it first
        join(server.proposeMembership(Request.newBuilder().setMemberAdd(current)));
      }
      join(server.proposeMembership(Request.newBuilder().setMemberUpdate(
          Member.newBuilder().setID(id).addAllPeerURLs(request.getPeerURLsList()))));
      return MemberUpdateResponse.newBuilder().setHeader(server.memberHeader()).addAllMembers(membership.list()).build();
    });
  }

  /**
   * etcd's PromoteMember: the readiness check runs where the match indexes are, on the leader (etcd
   * forwards to the leader over peer HTTP; a follower here asks the leader's state machine), then the
   * promotion goes through Raft with etcd's apply-time checks (not found, not a learner).
   */
  public void memberPromote(MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> observer) {
    respond(observer, () -> {
      long id = request.getID();
      if (server.raft().isLeader()) {
        membership.checkPromote(id, strict);
      } else {
        byte[] reply = join(server.raft().queryLeader(MemberQueries.encode(
            MemberQuery.newBuilder().setPromoteCheck(id).build())));
        String error;
        try {
          error = MemberQueryReply.parseFrom(reply).getEtcdError();
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("undecodable promote check reply", e);
        }
        if (!error.isEmpty()) {
          throw EtcdError.valueOf(error).exception();
        }
      }
      join(server.proposeMembership(Request.newBuilder().setMemberPromote(id)));
      return MemberPromoteResponse.newBuilder().setHeader(server.memberHeader())
          .addAllMembers(membership.list()).build();
    });
  }

  /** etcd's {@code types.NewURLs}: trimmed, parseable, http(s)/unix(s), host:port, no path; sorted. */
  static List<String> peerUrls(List<String> given) {
    if (given.isEmpty()) {
      throw EtcdError.MEMBER_BAD_URLS.exception();
    }
    List<String> out = new ArrayList<>();
    for (String raw : given) {
      String s = raw.trim();
      try {
        URI u = new URI(s);
        if (!Set.of("http", "https", "unix", "unixs").contains(String.valueOf(u.getScheme()))
            || u.getRawAuthority() == null || u.getPort() < 0 || u.getHost() == null
            || (u.getRawPath() != null && !u.getRawPath().isEmpty())) {
          throw EtcdError.MEMBER_BAD_URLS.exception();
        }
      } catch (URISyntaxException e) {
        throw EtcdError.MEMBER_BAD_URLS.exception();
      }
      out.add(s);
    }
    Collections.sort(out);
    return out;
  }

  /**
   * etcd 3.4's {@code membership.NewMember(name, urls, "", &now)}: SHA-1 over the sorted peer URLs
   * joined, the empty cluster name and the unix time in seconds; the first 8 bytes big-endian.
   */
  public static long newMemberId(List<String> sortedUrls, long unixSeconds) {
    String input = String.join("", sortedUrls) + unixSeconds;
    try {
      byte[] h = MessageDigest.getInstance("SHA-1").digest(input.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(h).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  private void awaitOutOfConfiguration(long id) {
    long deadline = System.nanoTime() + server.config().requestTimeout().toNanos();
    while (membership.list().stream().anyMatch(m -> m.getID() == id) || inRaftConfiguration(id)) {
      if (System.nanoTime() > deadline) {
        return; // recorded; the leader's reconciler finishes it
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private boolean inRaftConfiguration(long id) {
    var raft = server.raft();
    return raft.memberIds(org.apache.ratis.proto.RaftProtos.RaftPeerRole.FOLLOWER).contains(id)
        || raft.memberIds(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER).contains(id);
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable t = e.getCause() != null ? e.getCause() : e;
      if (t instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  /** Runs {@code call} off the event loop (it waits on Raft) and maps etcd errors to their status. */
  private <T> void respond(StreamObserver<T> observer, Supplier<T> call) {
    CompletableFuture.supplyAsync(call).whenComplete((resp, err) -> {
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
}
