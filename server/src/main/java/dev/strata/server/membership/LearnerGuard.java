package dev.strata.server.membership;

import dev.strata.server.EtcdError;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * etcd's learner restriction ({@code v3rpc/interceptor.go}, {@code isRPCSupportedForLearner}): while this
 * member is a learner it serves only Status, the Snapshot stream and serializable Range; everything else
 * fails with {@code etcdserver: rpc not supported for learner} (UNAVAILABLE).
 */
public final class LearnerGuard implements ServerInterceptor {

  private static final Set<String> ALLOWED = Set.of("etcdserverpb.Maintenance/Status", "etcdserverpb.Maintenance/Snapshot");
  private static final String RANGE = "etcdserverpb.KV/Range";

  private final BooleanSupplier isLearner;

  public LearnerGuard(BooleanSupplier isLearner) {
    this.isLearner = isLearner;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (ALLOWED.contains(method) || !isLearner.getAsBoolean()) {
      return next.startCall(call, headers);
    }
    if (!method.equals(RANGE)) {
      call.close(EtcdError.RPC_NOT_SUPPORTED_FOR_LEARNER.status(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    // Range: allowed only if serializable, which the request message tells
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (message instanceof RangeRequest r && !r.getSerializable()) {
          refused = true;
          call.close(EtcdError.RPC_NOT_SUPPORTED_FOR_LEARNER.status(), new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }
}
