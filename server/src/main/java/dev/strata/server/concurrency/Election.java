package dev.strata.server.concurrency;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.TxnRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * etcd's {@code concurrency.Election} as the v3election server runs it: a campaigner's key is
 * {@code name/<lease hex>}, the leader is the oldest-created key under {@code name/}; a campaign
 * waits for every older key to be deleted. Leaders are named by (key, create revision, lease).
 */
public final class Election {

  /** {@code concurrency.ErrElectionNotLeader}. */
  public static final String NOT_LEADER = "election: not leader";
  /** {@code concurrency.ErrElectionNoLeader}. */
  public static final String NO_LEADER = "election: no leader";

  /** etcd's {@code v3electionpb.LeaderKey}. */
  public record Leader(ByteString name, ByteString key, long rev, long lease) {}

  /** A won campaign: the header of its first txn (etcd's choice) and the leader key. */
  public record Won(ResponseHeader header, Leader leader) {}

  private final LocalClient client;

  public Election(LocalClient client) {
    this.client = client;
  }

  static ByteString prefix(ByteString name) {
    return name.concat(ByteString.copyFromUtf8("/"));
  }

  /** {@code Campaign(name, lease, value)}: completes once elected. A cancelled context resigns. */
  public CompletableFuture<Won> campaign(CallContext ctx, ByteString name, long lease, ByteString value) {
    ByteString prefix = prefix(name);
    return Session.lease(client, lease).thenCompose(id -> {
      ByteString key = Ops.sessionKey(prefix, id);
      TxnRequest t = TxnRequest.newBuilder()
          .addCompare(Ops.createRevisionIs(key, 0))
          .addSuccess(Ops.putOp(key, value, id))
          .addFailure(Ops.getOp(Ops.get(key)))
          .build();
      return client.txn(t).thenCompose(resp -> {
        if (resp.getSucceeded()) {
          return waitTurn(ctx, new Leader(name, key, resp.getHeader().getRevision(), id), resp.getHeader());
        }
        KeyValue kv = resp.getResponses(0).getResponseRange().getKvs(0);
        Leader me = new Leader(name, key, kv.getCreateRevision(), id);
        if (kv.getValue().equals(value)) {
          return waitTurn(ctx, me, resp.getHeader());
        }
        return proclaim(me, value)
            .exceptionallyCompose(err -> resign(me).handle((h, e) -> {
              throw err instanceof CompletionException ce ? ce : new CompletionException(err);
            }))
            .thenCompose(h -> waitTurn(ctx, me, resp.getHeader()));
      });
    });
  }

  private CompletableFuture<Won> waitTurn(CallContext ctx, Leader me, ResponseHeader first) {
    return Waits.waitDeletes(client, ctx, prefix(me.name()), me.rev() - 1).handle((h, err) -> {
      if (err != null) {
        if (ctx.isCancelled()) {
          resign(me); // clean up in case of context cancel, as etcd does
        }
        throw err instanceof CompletionException ce ? ce : new CompletionException(err);
      }
      return new Won(first, me);
    });
  }

  /** {@code Proclaim}: if the leader key still has its create revision, put the new value. */
  public CompletableFuture<ResponseHeader> proclaim(Leader leader, ByteString value) {
    TxnRequest t = TxnRequest.newBuilder()
        .addCompare(Ops.createRevisionIs(leader.key(), leader.rev()))
        .addSuccess(Ops.putOp(leader.key(), value, leader.lease()))
        .build();
    return client.txn(t).thenApply(resp -> {
      if (!resp.getSucceeded()) {
        throw new CompletionException(new IllegalStateException(NOT_LEADER));
      }
      return resp.getHeader();
    });
  }

  /** {@code Resign}: deletes the leader key if it is still this leader's; succeeds either way. */
  public CompletableFuture<ResponseHeader> resign(Leader leader) {
    TxnRequest t = TxnRequest.newBuilder()
        .addCompare(Ops.createRevisionIs(leader.key(), leader.rev()))
        .addSuccess(Ops.deleteOp(leader.key()))
        .build();
    return client.txn(t).thenApply(resp -> resp.getHeader());
  }

  /** {@code Leader(name)}: the oldest-created key under {@code name/}, or "election: no leader". */
  public CompletableFuture<RangeResponse> leader(ByteString name) {
    return client.range(Ops.firstCreate(prefix(name))).thenApply(resp -> {
      if (resp.getKvsCount() == 0) {
        throw new CompletionException(new IllegalStateException(NO_LEADER));
      }
      return resp;
    });
  }
}
