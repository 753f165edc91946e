package dev.strata.server.raft;

import java.util.EnumSet;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

/**
 * When this member last heard from a leader: the time of the last append (heartbeats included) or
 * snapshot message that reached its Raft server. Ratis keeps its follower's leader id until its own
 * election timer fires, and that timer also restarts whenever it grants a vote, pre-votes included
 * ({@code RaftServerImpl.requestVote}); so two survivors of a quorum loss keep each other's timers
 * from firing and go on naming a stopped leader for up to half a minute. etcd clears its leader after
 * one election timeout without a heartbeat, and clients see {@code etcdserver: no leader} then.
 */
final class LeaderContact implements GrpcServices.Customizer {

  private volatile long lastNanos = System.nanoTime();

  /** Nanoseconds since the last message from a leader (from this member's start if none came yet). */
  long silentNanos() {
    return System.nanoTime() - lastNanos;
  }

  @Override
  public NettyServerBuilder customize(NettyServerBuilder builder, EnumSet<GrpcServices.Type> types) {
    return types.contains(GrpcServices.Type.SERVER) ? builder.intercept(new Interceptor()) : builder;
  }

  private final class Interceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String method = call.getMethodDescriptor().getFullMethodName();
      ServerCall.Listener<Q> listener = next.startCall(call, headers);
      if (!method.endsWith("/appendEntries") && !method.endsWith("/installSnapshot")) {
        return listener;
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onMessage(Q message) {
          lastNanos = System.nanoTime(); // only a leader sends these
          super.onMessage(message);
        }
      };
    }
  }
}
