package dev.strata.server.election;

import dev.strata.server.concurrency.CallContext;
import dev.strata.server.concurrency.Election;
import dev.strata.server.concurrency.LocalClient;
import dev.strata.server.concurrency.Observer;
import dev.strata.server.concurrency.Replies;
import io.etcd.jetcd.api.CampaignRequest;
import io.etcd.jetcd.api.CampaignResponse;
import io.etcd.jetcd.api.ElectionGrpc;
import io.etcd.jetcd.api.LeaderKey;
import io.etcd.jetcd.api.LeaderRequest;
import io.etcd.jetcd.api.LeaderResponse;
import io.etcd.jetcd.api.ProclaimRequest;
import io.etcd.jetcd.api.ProclaimResponse;
import io.etcd.jetcd.api.ResignRequest;
import io.etcd.jetcd.api.ResignResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * {@code v3electionpb.Election} ({@code server/etcdserver/api/v3election/election.go}). Handlers
 * never block; Campaign waits on an internal watch, Observe streams from internal watches.
 */
public final class ElectionService extends ElectionGrpc.ElectionImplBase {

  /** etcd's {@code ErrMissingLeaderKey}. */
  static final String MISSING_LEADER = "\"leader\" field must be provided";

  private final LocalClient client;
  private final Election election;

  public ElectionService(LocalClient client) {
    this.client = client;
    this.election = new Election(client);
  }

  @Override
  public void campaign(CampaignRequest request, StreamObserver<CampaignResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    election.campaign(ctx, request.getName(), request.getLease(), request.getValue()).whenComplete((won, err) -> {
      if (err == null && ctx.isCancelled()) {
        election.resign(won.leader()); // nobody will learn it won: etcd resigns on a cancelled context
        return;
      }
      CampaignResponse resp = err != null ? null : CampaignResponse.newBuilder().setHeader(won.header())
          .setLeader(toProto(won.leader())).build();
      Replies.complete(responses, ctx, resp, err);
    });
  }

  @Override
  public void proclaim(ProclaimRequest request, StreamObserver<ProclaimResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    if (!request.hasLeader()) {
      Replies.complete(responses, ctx, null, new IllegalArgumentException(MISSING_LEADER));
      return;
    }
    LeaderKey l = request.getLeader();
    // etcd resumes the election on a session of leader.lease: lease 0 would grant a fresh one
    CompletableFuture<Long> lease = l.getLease() == 0 ? client.grant(60) : CompletableFuture.completedFuture(l.getLease());
    lease.thenCompose(id -> election.proclaim(new Election.Leader(l.getName(), l.getKey(), l.getRev(), id),
            request.getValue()))
        .whenComplete((h, err) -> Replies.complete(responses, ctx,
            err != null ? null : ProclaimResponse.newBuilder().setHeader(h).build(), err));
  }

  @Override
  public void leader(LeaderRequest request, StreamObserver<LeaderResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    election.leader(request.getName()).whenComplete((r, err) -> Replies.complete(responses, ctx,
        err != null ? null : LeaderResponse.newBuilder().setHeader(r.getHeader()).setKv(r.getKvs(0)).build(), err));
  }

  @Override
  public void observe(LeaderRequest request, StreamObserver<LeaderResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    Observer o = Observer.start(client, ctx, request.getName(),
        (h, kv) -> responses.onNext(LeaderResponse.newBuilder().setHeader(h).setKv(kv).build()));
    // etcd's observe goroutine just stops on an error and the handler returns nil: the stream ends OK
    o.done().whenComplete((v, err) -> {
      if (!ctx.isCancelled()) {
        responses.onCompleted();
      }
    });
  }

  @Override
  public void resign(ResignRequest request, StreamObserver<ResignResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    if (!request.hasLeader()) {
      Replies.complete(responses, ctx, null, new IllegalArgumentException(MISSING_LEADER));
      return;
    }
    LeaderKey l = request.getLeader();
    election.resign(new Election.Leader(l.getName(), l.getKey(), l.getRev(), l.getLease()))
        .whenComplete((h, err) -> Replies.complete(responses, ctx,
            err != null ? null : ResignResponse.newBuilder().setHeader(h).build(), err));
  }

  private static LeaderKey toProto(Election.Leader l) {
    return LeaderKey.newBuilder().setName(l.name()).setKey(l.key()).setRev(l.rev()).setLease(l.lease()).build();
  }
}
