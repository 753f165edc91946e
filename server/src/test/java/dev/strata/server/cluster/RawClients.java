package dev.strata.server.cluster;

import dev.strata.server.cluster.LocalCluster.Node;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Plain gRPC stubs, one channel per member: unlike jetcd and etcdctl they never retry, so a test sees
 * exactly what one member answered and when.
 */
final class RawClients implements AutoCloseable {

  private final Map<Node, ManagedChannel> channels = new HashMap<>();

  RawClients(List<Node> nodes) {
    for (Node n : nodes) {
      channels.put(n, NettyChannelBuilder.forAddress("127.0.0.1", n.clientPort).usePlaintext().build());
    }
  }

  /**
   * Waits for the connection within the deadline: after a member restarts, its channel may still be
   * in reconnect backoff, and a fail-fast call would see "connection refused" instead of the member;
   * the backoff (grown while the member was down, up to minutes) is reset for the same reason.
   */
  KVGrpc.KVBlockingStub kv(Node n, long deadlineSeconds) {
    channels.get(n).resetConnectBackoff();
    return KVGrpc.newBlockingStub(channels.get(n)).withWaitForReady().withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS);
  }

  /** A KV stub whose calls carry clientv3's require-leader metadata ({@code hasleader: true}). */
  KVGrpc.KVBlockingStub kvRequiringLeader(Node n, long deadlineSeconds) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER), "true");
    return kv(n, deadlineSeconds).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  /**
   * Opens a watch on {@code key} with the require-leader metadata (as etcdctl watch does); the future
   * completes with the status the stream ended with.
   */
  java.util.concurrent.CompletableFuture<io.grpc.Status> watchRequiringLeader(Node n, String key) {
    java.util.concurrent.CompletableFuture<io.grpc.Status> ended = new java.util.concurrent.CompletableFuture<>();
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER), "true");
    io.grpc.stub.StreamObserver<io.etcd.jetcd.api.WatchRequest> requests = io.etcd.jetcd.api.WatchGrpc
        .newStub(channels.get(n)).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .watch(new io.grpc.stub.StreamObserver<>() {
          @Override
          public void onNext(io.etcd.jetcd.api.WatchResponse value) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(io.grpc.Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(io.grpc.Status.OK);
          }
        });
    requests.onNext(io.etcd.jetcd.api.WatchRequest.newBuilder().setCreateRequest(
        io.etcd.jetcd.api.WatchCreateRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8(key))).build());
    return ended;
  }

  StatusResponse status(Node n) {
    return MaintenanceGrpc.newBlockingStub(channels.get(n)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .status(StatusRequest.getDefaultInstance());
  }

  MaintenanceGrpc.MaintenanceBlockingStub maintenance(Node n) {
    channels.get(n).resetConnectBackoff();
    return MaintenanceGrpc.newBlockingStub(channels.get(n)).withWaitForReady().withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /**
   * The leader id {@code n} reports (0: none; ids are unsigned, so compare with 0, not by sign), or
   * null if it does not answer.
   */
  Long leaderSeenBy(Node n) {
    try {
      return status(n).getLeader();
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
