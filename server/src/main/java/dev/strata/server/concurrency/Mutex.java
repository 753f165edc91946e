package dev.strata.server.concurrency;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * etcd's {@code concurrency.Mutex} as the v3lock server runs it (3.5 semantics, the API version we
 * report): the waiter's key is {@code name/<lease hex>}, the holder is the oldest-created key under
 * {@code name/}, and a waiter waits for every older key to be deleted.
 */
public final class Mutex {

  /** {@code concurrency.ErrSessionExpired}. */
  public static final String SESSION_EXPIRED = "mutex: session is expired";

  /** A held lock: the header etcd returns with it, and the key to pass to Unlock. */
  public record Held(ResponseHeader header, ByteString key) {}

  private final LocalClient client;

  public Mutex(LocalClient client) {
    this.client = client;
  }

  /**
   * {@code Lock(name, lease)}: completes when the lock is held, or fails with the error etcd returns
   * (its text is what clients see). A cancelled context deletes the waiter's key, as etcd does.
   */
  public CompletableFuture<Held> lock(CallContext ctx, ByteString name, long lease) {
    ByteString prefix = name.concat(ByteString.copyFromUtf8("/"));
    return Session.lease(client, lease).thenCompose(id -> {
      ByteString key = Ops.sessionKey(prefix, id);
      TxnRequest tryAcquire = TxnRequest.newBuilder()
          .addCompare(Ops.createRevisionIs(key, 0))
          .addSuccess(Ops.putOp(key, ByteString.EMPTY, id))
          .addSuccess(Ops.getOp(Ops.firstCreate(prefix)))
          .addFailure(Ops.getOp(Ops.get(key)))
          .addFailure(Ops.getOp(Ops.firstCreate(prefix)))
          .build();
      return client.txn(tryAcquire).thenCompose(resp -> afterTry(ctx, prefix, key, resp));
    });
  }

  private CompletableFuture<Held> afterTry(CallContext ctx, ByteString prefix, ByteString key, TxnResponse resp) {
    long myRev = resp.getSucceeded()
        ? resp.getHeader().getRevision()
        : resp.getResponses(0).getResponseRange().getKvs(0).getCreateRevision();
    var owner = resp.getResponses(1).getResponseRange();
    if (owner.getKvsCount() == 0 || owner.getKvs(0).getCreateRevision() == myRev) {
      return CompletableFuture.completedFuture(new Held(resp.getHeader(), key));
    }
    return Waits.waitDeletes(client, ctx, prefix, myRev - 1)
        // make sure the session is not expired and the key still exists (etcd 3.5)
        .thenCompose(h -> client.range(Ops.get(key)))
        .handle((got, err) -> {
          if (err != null) {
            unlock(key); // release the waiter's place, as etcd does when waiting fails
            throw err instanceof CompletionException ce ? ce : new CompletionException(err);
          }
          if (got.getKvsCount() == 0) {
            throw new CompletionException(new IllegalStateException(SESSION_EXPIRED));
          }
          return new Held(got.getHeader(), key);
        });
  }

  /** {@code Unlock(key)}: a plain Delete, which succeeds even if the key is gone. */
  public CompletableFuture<ResponseHeader> unlock(ByteString key) {
    return client.delete(DeleteRangeRequest.newBuilder().setKey(key).build()).thenApply(r -> r.getHeader());
  }
}
