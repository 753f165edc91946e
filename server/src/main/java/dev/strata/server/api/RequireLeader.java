package dev.strata.server.api;

import dev.strata.server.EtcdError;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.function.LongSupplier;

/**
 * etcd's require-leader check ({@code v3rpc/interceptor.go}, unary and stream interceptors): a call
 * whose metadata says {@code hasleader: true} (clientv3's {@code WithRequireLeader}; etcdctl sets it on
 * watches) fails at once with {@code etcdserver: no leader} (UNAVAILABLE) while this member knows no
 * leader, before any handler runs, even a serializable read. Without the metadata, calls wait for a
 * leader until the request timeout, as in etcd.
 */
final class RequireLeader implements ServerInterceptor {

  static final Metadata.Key<String> KEY = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

  private final LongSupplier leaderId;

  /** {@code leaderId}: the member id of the leader this member knows, 0 if none. */
  RequireLeader(LongSupplier leaderId) {
    this.leaderId = leaderId;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (requiresLeader(headers) && leaderId.getAsLong() == 0) {
      call.close(EtcdError.NO_LEADER.status(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  /** grpc-go's {@code md[key][0] == "true"}: the first value counts. */
  static boolean requiresLeader(Metadata headers) {
    Iterable<String> values = headers.getAll(KEY);
    if (values == null) {
      return false;
    }
    var it = values.iterator();
    return it.hasNext() && "true".equals(it.next());
  }
}
