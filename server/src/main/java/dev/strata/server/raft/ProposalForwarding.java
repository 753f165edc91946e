package dev.strata.server.raft;

import java.net.ConnectException;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.com.google.protobuf.BytesValue;
import org.apache.ratis.thirdparty.com.google.protobuf.UInt64Value;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.protobuf.ProtoUtils;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;

/**
 * Hands a follower's admitted requests to the leader's proposer, so that they join the leader's next
 * entry, as etcd's followers forward proposals into the leader's raft. Sent through Ratis' client
 * instead, every follower batch became an entry of its own: with clients on every member, three
 * proposers made three times the entries, and each entry costs every member a Ratis round
 * (docs/benchmarks.md).
 *
 * <p>One unary call per batch on Ratis' own gRPC server (the peer port; Ratis' shaded gRPC and
 * protobuf, so the batch travels as a {@code BytesValue}). The leader answers with the index of the
 * entry that carried the batch, once it applied that entry. {@code FAILED_PRECONDITION} means the
 * leader did not take the batch (it does not lead, or does not serve yet), and so does a call that
 * never connected: the follower may propose it another way. After any other failure the outcome is
 * unknown, and the batch must not be proposed again (a txn must not apply twice).
 */
final class ProposalForwarding implements GrpcServices.Customizer, AutoCloseable {

  /** Request: the encoded batch. Reply: the index of the leader's entry that carried it. */
  private static final MethodDescriptor<BytesValue, UInt64Value> FORWARD =
      MethodDescriptor.<BytesValue, UInt64Value>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("strata.raft.ProposalForwarding", "Forward"))
          .setRequestMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(UInt64Value.getDefaultInstance()))
          .build();

  private final GrpcServices.Customizer next;
  private final int maxMessageBytes;
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile BooleanSupplier leading = () -> false;
  private volatile Function<byte[], CompletableFuture<Long>> taker;

  /** {@code next}: the customizer Ratis would otherwise have used ({@link LeaderContact}). */
  ProposalForwarding(GrpcServices.Customizer next, int maxMessageBytes) {
    this.next = next;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Leader side: {@code taker} queues a forwarded batch and completes with its entry's index. */
  void serve(BooleanSupplier leading, Function<byte[], CompletableFuture<Long>> taker) {
    this.leading = leading;
    this.taker = taker;
  }

  @Override
  public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
    NettyServerBuilder b = next.customize(builder, types);
    if (types.contains(GrpcServices.Type.SERVER)) {
      b.addService(ServerServiceDefinition.builder(FORWARD.getServiceName())
          .addMethod(FORWARD, ServerCalls.asyncUnaryCall(this::take))
          .build());
    }
    return b;
  }

  private void take(BytesValue batch, StreamObserver<UInt64Value> reply) {
    Function<byte[], CompletableFuture<Long>> t = taker;
    if (t == null || !leading.getAsBoolean()) {
      reply.onError(Status.FAILED_PRECONDITION.withDescription("not the leader").asRuntimeException());
      return;
    }
    CompletableFuture<Long> taken;
    try {
      taken = t.apply(batch.getValue().toByteArray());
    } catch (RuntimeException e) {
      // refused before it was queued (malformed, or the proposer is closing): nothing was proposed
      reply.onError(Status.FAILED_PRECONDITION.withDescription(e.toString()).asRuntimeException());
      return;
    }
    taken.whenComplete((index, err) -> {
      if (err == null) {
        reply.onNext(UInt64Value.of(index));
        reply.onCompleted();
      } else {
        reply.onError(Status.UNAVAILABLE.withDescription("proposal failed: " + err).asRuntimeException());
      }
    });
  }

  /** Follower side: sends {@code batch} to the leader at {@code address} (host:port). */
  CompletableFuture<Long> forward(String address, byte[] batch, long timeoutNanos) {
    CompletableFuture<Long> result = new CompletableFuture<>();
    ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a)
        .usePlaintext()
        .maxInboundMessageSize(maxMessageBytes)
        .build());
    ClientCalls.asyncUnaryCall(channel.newCall(FORWARD, CallOptions.DEFAULT.withDeadlineAfter(timeoutNanos,
        TimeUnit.NANOSECONDS)), BytesValue.of(UnsafeByteOperations.unsafeWrap(batch)), new StreamObserver<>() {
          @Override
          public void onNext(UInt64Value index) {
            result.complete(index.getValue());
          }

          @Override
          public void onError(Throwable t) {
            if (refused(t)) {
              // gRPC would keep the channel in exponential connect backoff (up to minutes) and fail
              // every call at once meanwhile: a leader back from an outage must be reachable at once
              channel.resetConnectBackoff();
            }
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(new IllegalStateException("leader answered without an index"));
          }
        });
    return result;
  }

  /** True if {@code failure} of {@link #forward} means the leader did not take the batch. */
  static boolean notTaken(Throwable failure) {
    if (!(failure instanceof StatusRuntimeException e)) {
      return false;
    }
    return e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION || refused(e);
  }

  /** No connection was made, so nothing was sent. */
  private static boolean refused(Throwable failure) {
    for (Throwable c = failure.getCause(); c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
