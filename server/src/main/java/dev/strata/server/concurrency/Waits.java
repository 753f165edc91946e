package dev.strata.server.concurrency;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchCreateRequest;
import java.util.concurrent.CompletableFuture;

/** {@code concurrency/key.go}: waiting for keys to be deleted, over an internal watch. */
final class Waits {

  private Waits() {}

  /**
   * {@code waitDeletes}: until no key under {@code prefix} has create_revision ≤ {@code maxCreateRev},
   * waits for the newest such key to be deleted. Completes with the header of the final, empty Get.
   */
  static CompletableFuture<ResponseHeader> waitDeletes(LocalClient c, CallContext ctx, ByteString prefix,
      long maxCreateRev) {
    if (ctx.isCancelled()) {
      return CompletableFuture.failedFuture(CallContext.canceled());
    }
    return c.range(Ops.lastCreateUpTo(prefix, maxCreateRev)).thenCompose(resp -> {
      if (resp.getKvsCount() == 0) {
        return CompletableFuture.completedFuture(resp.getHeader());
      }
      return waitDelete(c, ctx, resp.getKvs(0).getKey(), resp.getHeader().getRevision())
          .thenCompose(v -> waitDeletes(c, ctx, prefix, maxCreateRev));
    });
  }

  /**
   * {@code waitDelete}: watches {@code key} from {@code rev} until a DELETE event. A cancelled watch
   * (compaction) fails it with the watch's error; a cancelled context with "context canceled".
   */
  static CompletableFuture<Void> waitDelete(LocalClient c, CallContext ctx, ByteString key, long rev) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    LocalClient.Watch w = c.watch(WatchCreateRequest.newBuilder().setKey(key).setStartRevision(rev).build(), r -> {
      if (r.getCanceled()) {
        done.completeExceptionally(r.getCompactRevision() != 0 ? EtcdError.COMPACTED.exception()
            : new IllegalStateException(r.getCancelReason().isEmpty()
                ? "lost watcher waiting for delete" : r.getCancelReason()));
        return;
      }
      for (Event e : r.getEventsList()) {
        if (e.getType() == Event.EventType.DELETE) {
          done.complete(null);
          return;
        }
      }
    });
    Runnable deregister = ctx.onCancel(() -> done.completeExceptionally(CallContext.canceled()));
    done.whenComplete((v, e) -> {
      w.close();
      deregister.run();
    });
    return done;
  }
}
