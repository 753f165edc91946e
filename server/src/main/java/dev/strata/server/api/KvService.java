package dev.strata.server.api;

import dev.strata.server.etcdserver.EtcdServer;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;

/** etcd's KV service ({@code etcdserverpb.KV}). */
final class KvService extends KVGrpc.KVImplBase {

  private final EtcdServer server;

  KvService(EtcdServer server) {
    this.server = server;
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
    Calls.unary(observer, () -> server.range(request));
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> observer) {
    Calls.unary(observer, () -> server.put(request));
  }

  @Override
  public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
    Calls.unary(observer, () -> server.deleteRange(request));
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
    Calls.unary(observer, () -> server.txn(request));
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> observer) {
    Calls.unary(observer, () -> server.compact(request));
  }
}
