package dev.strata.server.api;

import dev.strata.server.lease.LeaseServer;
import dev.strata.server.lease.proto.LeaseLeasesRequest;
import dev.strata.server.lease.proto.LeaseLeasesResponse;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * etcd's Lease service ({@code etcdserverpb.Lease}, {@code api/v3rpc/lease.go}) over a
 * {@link LeaseServer}. jetcd-grpc 0.8.5's stubs lack {@code LeaseLeases} (etcdctl {@code lease list}),
 * so {@link #definition} adds that method under etcd's name with etcd's message layout.
 */
final class LeaseService extends LeaseGrpc.LeaseImplBase {

  static final MethodDescriptor<LeaseLeasesRequest, LeaseLeasesResponse> LEASE_LEASES =
      MethodDescriptor.<LeaseLeasesRequest, LeaseLeasesResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(LeaseGrpc.SERVICE_NAME, "LeaseLeases"))
          .setRequestMarshaller(ProtoUtils.marshaller(LeaseLeasesRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(LeaseLeasesResponse.getDefaultInstance()))
          .build();

  private final LeaseServer leases;
  private final UnaryOperator<ResponseHeader> header;

  /** {@code header} fills cluster, member, term and (if 0) the current revision. */
  LeaseService(LeaseServer leases, UnaryOperator<ResponseHeader> header) {
    this.leases = leases;
    this.header = header;
  }

  /** The service definition to register: the generated methods plus LeaseLeases. */
  ServerServiceDefinition definition() {
    ServerServiceDefinition generated = bindService();
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(LeaseGrpc.SERVICE_NAME);
    generated.getMethods().forEach(b::addMethod);
    b.addMethod(LEASE_LEASES, ServerCalls.asyncUnaryCall(this::leaseLeases));
    return b.build();
  }

  @Override
  public void leaseGrant(LeaseGrantRequest r, StreamObserver<LeaseGrantResponse> observer) {
    Calls.unary(observer, () -> leases.grant(r)
        .thenApply(resp -> resp.toBuilder().setHeader(header.apply(resp.getHeader())).build()));
  }

  @Override
  public void leaseRevoke(LeaseRevokeRequest r, StreamObserver<LeaseRevokeResponse> observer) {
    Calls.unary(observer, () -> leases.revoke(r)
        .thenApply(resp -> resp.toBuilder().setHeader(header.apply(resp.getHeader())).build()));
  }

  @Override
  public void leaseTimeToLive(LeaseTimeToLiveRequest r, StreamObserver<LeaseTimeToLiveResponse> observer) {
    Calls.unary(observer, () -> leases.timeToLive(r)
        .thenApply(resp -> resp.toBuilder().setHeader(header.apply(resp.getHeader())).build()));
  }

  void leaseLeases(LeaseLeasesRequest r, StreamObserver<LeaseLeasesResponse> observer) {
    Calls.now(observer, () -> {
      LeaseLeasesResponse resp = leases.leases();
      return resp.toBuilder().setHeader(header.apply(resp.getHeader())).build();
    });
  }

  /**
   * One reply per request, in request order: the header is captured before the renewal (etcd), an
   * unknown or expired lease answers TTL 0 and keeps the stream; any other error ends it.
   */
  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> out) {
    return new KeepAliveStream(out);
  }

  private final class KeepAliveStream implements StreamObserver<LeaseKeepAliveRequest> {
    private final StreamObserver<LeaseKeepAliveResponse> out;
    /** Renewals run one after another; each completion sends, so {@code out} is never used concurrently. */
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private volatile boolean done;

    KeepAliveStream(StreamObserver<LeaseKeepAliveResponse> out) {
      this.out = out;
    }

    @Override
    public synchronized void onNext(LeaseKeepAliveRequest req) {
      tail = tail.thenCompose(v -> done ? CompletableFuture.completedFuture(null) : renewAndSend(req.getID()));
    }

    private CompletableFuture<Void> renewAndSend(long id) {
      ResponseHeader h = header.apply(ResponseHeader.getDefaultInstance());
      CompletableFuture<Long> renewed;
      try {
        renewed = leases.renew(id);
      } catch (RuntimeException e) {
        renewed = CompletableFuture.failedFuture(e);
      }
      return renewed.handle((ttl, err) -> {
        if (done) {
          return null;
        }
        try {
          if (err != null) {
            done = true;
            out.onError(Calls.toStatus(err).asRuntimeException());
          } else {
            out.onNext(LeaseKeepAliveResponse.newBuilder().setHeader(h).setID(id).setTTL(ttl).build());
          }
        } catch (StatusRuntimeException | IllegalStateException e) {
          done = true; // the client went away
        }
        return null;
      });
    }

    @Override
    public void onError(Throwable t) {
      done = true;
    }

    @Override
    public synchronized void onCompleted() {
      tail = tail.thenRun(() -> {
        if (!done) {
          done = true;
          try {
            out.onCompleted();
          } catch (StatusRuntimeException | IllegalStateException e) {
            // already cancelled by the client
          }
        }
      });
    }
  }
}
