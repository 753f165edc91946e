package dev.strata.server.lock;

import dev.strata.server.concurrency.CallContext;
import dev.strata.server.concurrency.LocalClient;
import dev.strata.server.concurrency.Mutex;
import dev.strata.server.concurrency.Replies;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.etcd.jetcd.api.lock.UnlockResponse;
import io.grpc.stub.StreamObserver;

/**
 * {@code v3lockpb.Lock} ({@code server/etcdserver/api/v3lock/lock.go}). Handlers never block: a
 * waiting Lock is a pending future woken by an internal watch. Lock with lease 0 grants a fresh 60 s
 * lease nobody renews, exactly as etcd does.
 *
 * <p>One deliberate difference: if the client cancels the call at the moment the lock is acquired,
 * the key is deleted (etcd leaves it held until the lease expires, although no client knows it).
 */
public final class LockService extends LockGrpc.LockImplBase {

  private final Mutex mutex;

  public LockService(LocalClient client) {
    this.mutex = new Mutex(client);
  }

  @Override
  public void lock(LockRequest request, StreamObserver<LockResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    mutex.lock(ctx, request.getName(), request.getLease()).whenComplete((held, err) -> {
      if (err == null && ctx.isCancelled()) {
        mutex.unlock(held.key());
        return;
      }
      LockResponse resp = err != null ? null
          : LockResponse.newBuilder().setHeader(held.header()).setKey(held.key()).build();
      Replies.complete(responses, ctx, resp, err);
    });
  }

  @Override
  public void unlock(UnlockRequest request, StreamObserver<UnlockResponse> responses) {
    CallContext ctx = Replies.contextOf(responses);
    mutex.unlock(request.getKey()).whenComplete((header, err) -> Replies.complete(responses, ctx,
        err != null ? null : UnlockResponse.newBuilder().setHeader(header).build(), err));
  }
}
