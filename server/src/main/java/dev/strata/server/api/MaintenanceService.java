package dev.strata.server.api;

import dev.strata.server.etcdserver.EtcdServer;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;

/**
 * etcd's Maintenance service, the subset implemented so far (Status, HashKV); the other RPCs answer
 * UNIMPLEMENTED from the generated base class.
 */
final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {

  private final EtcdServer server;

  MaintenanceService(EtcdServer server) {
    this.server = server;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
    Calls.now(observer, server::status);
  }

  @Override
  public void hashKV(HashKVRequest request, StreamObserver<HashKVResponse> observer) {
    Calls.unary(observer, () -> server.hashKV(request));
  }
}
