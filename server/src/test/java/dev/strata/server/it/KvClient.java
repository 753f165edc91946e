package dev.strata.server.it;

import com.google.protobuf.Message;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/** Raw etcd KV + Maintenance blocking stubs over one plaintext loopback channel. */
final class KvClient implements AutoCloseable {
  private static final long DEADLINE_SECONDS = 20;
  private final String name;
  private final ManagedChannel channel;

  KvClient(String name, int port) {
    this.name = name;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(256 << 20).build();
  }

  KvClient(ServerProcess member) {
    this(member.name(), member.clientPort());
  }

  String name() {
    return name;
  }

  KVGrpc.KVBlockingStub kv() {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  MaintenanceGrpc.MaintenanceBlockingStub maintenance() {
    return MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  /** Sends any KV or HashKV request to the matching RPC. */
  Outcome call(Message request) {
    if (request instanceof RangeRequest r) {
      return Outcome.of(() -> kv().range(r));
    } else if (request instanceof PutRequest r) {
      return Outcome.of(() -> kv().put(r));
    } else if (request instanceof DeleteRangeRequest r) {
      return Outcome.of(() -> kv().deleteRange(r));
    } else if (request instanceof TxnRequest r) {
      return Outcome.of(() -> kv().txn(r));
    } else if (request instanceof CompactionRequest r) {
      return Outcome.of(() -> kv().compact(r));
    } else if (request instanceof HashKVRequest r) {
      return Outcome.of(() -> maintenance().hashKV(r));
    }
    throw new IllegalArgumentException("not a KV request: " + request.getClass());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
