package dev.strata.server.api;

import dev.strata.server.etcdserver.EtcdServer;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.MoveLeaderResponse;
import dev.strata.server.EtcdError;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;

/**
 * etcd's Maintenance service, the subset implemented so far (Status, HashKV, MoveLeader); the other RPCs answer
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

  /**
   * etcd's MoveLeader ({@code v3_server.go}): only the leader transfers, only to a voting member; the
   * response carries no header.
   */
  @Override
  public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderResponse> observer) {
    // the transfer blocks until the new leader is elected: never on the gRPC event loop
    Calls.unary(observer, () -> CompletableFuture.supplyAsync(() -> {
      var raft = server.raft();
      if (!raft.isLeader()) {
        throw EtcdError.NOT_LEADER.exception();
      }
      long target = request.getTargetID();
      if (!raft.memberIds(RaftPeerRole.FOLLOWER).contains(target)) {
        throw EtcdError.BAD_LEADER_TRANSFEREE.exception();
      }
      if (target != server.identity().memberId()) {
        try {
          raft.transferLeadership(target, server.config().requestTimeout());
        } catch (IOException e) {
          throw EtcdError.LEADER_TRANSFER_TIMEOUT.exception();
        }
      }
      return MoveLeaderResponse.getDefaultInstance();
    }));
  }

  @Override
  public void hashKV(HashKVRequest request, StreamObserver<HashKVResponse> observer) {
    Calls.unary(observer, () -> server.hashKV(request));
  }
}
