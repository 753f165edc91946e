package dev.strata.server.api;

import dev.strata.server.concurrency.LocalClient;
import dev.strata.server.election.ElectionService;
import dev.strata.server.etcdserver.EtcdServer;
import dev.strata.server.lock.LockService;
import dev.strata.server.membership.ClusterService;
import dev.strata.server.watch.WatchService;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC servers on {@code --listen-client-urls}, one per URL, all serving the same services. */
public final class ClientServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClientServer.class);
  /** etcd: MaxRecvMsgSize = --max-request-bytes + 512 KiB of gRPC overhead ({@code v3rpc/grpc.go}). */
  private static final int GRPC_OVERHEAD_BYTES = 512 * 1024;

  private final List<Server> servers;
  private final RequireLeader requireLeader;

  private ClientServer(List<Server> servers, RequireLeader requireLeader) {
    this.servers = servers;
    this.requireLeader = requireLeader;
  }

  public static ClientServer start(EtcdServer etcd) throws IOException {
    return start(etcd, List.of());
  }

  /**
   * Starts serving KV, Maintenance, Watch, Lease, Lock and Election plus {@code more} services; any
   * service not registered answers UNIMPLEMENTED.
   */
  public static ClientServer start(EtcdServer etcd, List<BindableService> more) throws IOException {
    List<Server> started = new ArrayList<>();
    KvService kv = new KvService(etcd);
    MaintenanceService maintenance = new MaintenanceService(etcd);
    // headerAt, not header: a compaction cancel's revision 0 must reach the client as 0
    WatchService watch = new WatchService(etcd.watches(), etcd::headerAt);
    LeaseService lease = new LeaseService(etcd.leases(), etcd::header);
    // etcd's v3lock/v3election run clientv3 recipes over the server's own KV, Watch and Lease
    LocalClient local = LocalClient.of(etcd);
    LockService lock = new LockService(local);
    ElectionService election = new ElectionService(local);
    ClusterService cluster = new ClusterService(etcd);
    RequireLeader requireLeader = new RequireLeader(etcd.raft()::leaderId, etcd.config().electionTimeoutMin());
    try {
      ReceiveSizeLimit sizeLimit = new ReceiveSizeLimit(etcd.config().maxRequestBytes() + GRPC_OVERHEAD_BYTES);
      for (URI url : etcd.config().listenClientUrls()) {
        NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(url.getHost(), url.getPort()))
            .maxInboundMessageSize(sizeLimit.transportLimit())
            .intercept(sizeLimit)
            .intercept(new dev.strata.server.membership.LearnerGuard(etcd.raft()::isListener))
            .intercept(requireLeader)
            // etcd's --grpc-keepalive-min-time default (5 s): clients pinging that often are not cut off.
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            // Handlers never block (admission, then a future; slow work such as reads and HashKV
            // runs on the server's own executor), so run them on the event loop: measured here
            // 100 vs 262 us of server CPU per Put and 66 vs 144 per linearizable Range, against
            // grpc's default hop to a cached thread pool.
            .directExecutor()
            .addService(kv)
            .addService(maintenance)
            .addService(watch)
            .addService(lease.definition())
            .addService(lock)
            .addService(election)
            .addService(cluster.definition());
        more.forEach(b::addService);
        Server s = b.build().start();
        started.add(s);
        LOG.info("serving client traffic: url={}", url);
      }
    } catch (IOException | RuntimeException e) {
      started.forEach(Server::shutdownNow);
      requireLeader.close();
      throw new IOException("cannot listen on client URL: " + e.getMessage(), e);
    }
    return new ClientServer(started, requireLeader);
  }

  /** The port actually bound for the i-th URL (useful when it was 0). */
  public int port(int i) {
    return servers.get(i).getPort();
  }

  @Override
  public void close() {
    requireLeader.close();
    servers.forEach(Server::shutdown);
    for (Server s : servers) {
      try {
        if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
          s.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        s.shutdownNow();
      }
    }
  }
}
