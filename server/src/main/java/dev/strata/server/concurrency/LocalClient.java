package dev.strata.server.concurrency;

import dev.strata.server.etcdserver.EtcdServer;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What the recipes need of an etcd client ({@code clientv3} in etcd's v3lock/v3election servers),
 * served in-process: requests go through the same admission, Raft and linearizable reads as client
 * requests, so they bump revisions and fail exactly as a client's would. Every method is
 * non-blocking; a request rejected at admission comes back as a failed future, never a throw.
 */
public interface LocalClient {

  CompletableFuture<TxnResponse> txn(TxnRequest r);

  /** A linearizable Range (the clientv3 default). */
  CompletableFuture<RangeResponse> range(RangeRequest r);

  CompletableFuture<DeleteRangeResponse> delete(DeleteRangeRequest r);

  /** Grants a lease with a server-chosen id; completes with the id. */
  CompletableFuture<Long> grant(long ttlSeconds);

  /**
   * Opens a watch; {@code onResponse} gets the created reply and then every response, in order, on
   * one watch send thread at a time (it must not block). Close the handle to stop it.
   */
  Watch watch(WatchCreateRequest request, Consumer<WatchResponse> onResponse);

  /** An open watch; {@link #close} is idempotent and may be called from {@code onResponse}. */
  interface Watch extends AutoCloseable {
    @Override
    void close();
  }

  static LocalClient of(EtcdServer server) {
    return new ServerClient(server);
  }
}
