package dev.strata.server.concurrency;

import dev.strata.server.etcdserver.EtcdServer;
import dev.strata.server.watch.WatchSink;
import dev.strata.server.watch.WatchStream;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link LocalClient} over this member's {@link EtcdServer} and its watch hub. */
final class ServerClient implements LocalClient {

  private static final Logger LOG = LoggerFactory.getLogger(ServerClient.class);

  private final EtcdServer server;

  ServerClient(EtcdServer server) {
    this.server = server;
  }

  @Override
  public CompletableFuture<TxnResponse> txn(TxnRequest r) {
    return call(() -> server.txn(r));
  }

  @Override
  public CompletableFuture<RangeResponse> range(RangeRequest r) {
    return call(() -> server.range(r));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> delete(DeleteRangeRequest r) {
    return call(() -> server.deleteRange(r));
  }

  @Override
  public CompletableFuture<Long> grant(long ttlSeconds) {
    return call(() -> server.leases().grant(LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build()))
        .thenApply(resp -> resp.getID());
  }

  @Override
  public Watch watch(WatchCreateRequest request, Consumer<WatchResponse> onResponse) {
    WatchStream stream = server.watches().openStream(new WatchSink() {
      @Override
      public void send(WatchResponse response) {
        try {
          onResponse.accept(response);
        } catch (RuntimeException e) {
          // a recipe bug must not close the stream silently: say so, the recipe's future stays pending
          LOG.warn("internal watch consumer failed: error=\"{}\"", e.toString(), e);
        }
      }

      @Override
      public boolean isReady() {
        return true; // the consumers only hand results on: never a slow reader
      }

      @Override
      public void setOnReady(Runnable onReady) {
        // never needed: always ready
      }
    }, server::headerAt);
    stream.handle(WatchRequest.newBuilder().setCreateRequest(request).build());
    return stream::close;
  }

  /** Admission errors are thrown synchronously by EtcdServer; recipes want them in the future. */
  private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> c) {
    try {
      return c.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
