package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The gRPC Watch service over a real Netty server and channel, including HTTP/2 flow control. */
class WatchServiceTest extends WatchHarness {

  private Server server;
  private ManagedChannel channel;

  private void serve() throws IOException {
    HeaderFiller headers = rev -> ResponseHeader.newBuilder().setClusterId(11).setMemberId(22)
        .setRaftTerm(3).setRevision(rev).build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new WatchService(hub, headers)).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** A client that reads only as many responses as it is told to. */
  private static final class Client implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final List<WatchResponse> got = new ArrayList<>();
    private ClientCallStreamObserver<WatchRequest> call;
    private final int initial;

    Client(int initial) {
      this.initial = initial;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> c) {
      call = c;
      c.disableAutoRequestWithInitial(initial);
    }

    @Override
    public synchronized void onNext(WatchResponse r) {
      got.add(r);
      notifyAll();
    }

    @Override
    public void onError(Throwable t) {
    }

    @Override
    public void onCompleted() {
    }

    synchronized List<WatchResponse> await(Predicate<List<WatchResponse>> p) {
      long deadline = System.currentTimeMillis() + RecordingSink.TIMEOUT_MS;
      while (!p.test(got)) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          fail("timed out; got " + got.size() + ": " + RecordingSink.brief(got));
        }
        try {
          wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail("interrupted");
        }
      }
      return new ArrayList<>(got);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void eventsFlowWithFullHeadersAndSurviveHalfClose(String engine) throws IOException {
    open(engine);
    serve();
    Client c = new Client(Integer.MAX_VALUE);
    WatchGrpc.newStub(channel).watch(c);
    c.call.onNext(create("a", null, 0));
    WatchResponse created = c.await(l -> !l.isEmpty()).get(0);
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getHeader().getClusterId()).isEqualTo(11);
    assertThat(created.getHeader().getRaftTerm()).isEqualTo(3);
    long r1 = put("a", "1");
    c.await(l -> RecordingSink.lastEventRev(l, 0) >= r1);
    c.call.onCompleted(); // half-close: etcd keeps sending
    long r2 = put("a", "2");
    List<WatchResponse> rs = c.await(l -> RecordingSink.lastEventRev(l, 0) >= r2);
    assertThat(describe(RecordingSink.events(rs, 0))).containsExactly(r1 + ":PUT:a", r2 + ":PUT:a");
    assertThat(rs.get(2).getHeader().getMemberId()).isEqualTo(22);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void clientThatStopsReadingDoesNotBlockWritesAndGetsEverythingLater(String engine)
      throws IOException {
    open(engine, WatchOptions.defaults().withStreamQueueCapacity(8));
    serve();
    Client c = new Client(1); // reads the created reply, then nothing
    WatchGrpc.newStub(channel).watch(c);
    c.call.onNext(create("k", "l", 0));
    c.await(l -> !l.isEmpty());
    String value = "x".repeat(8192);
    long last = 0;
    for (int i = 0; i < 400; i++) {  // ~3 MiB: far beyond the HTTP/2 windows and the queue
      last = put("k" + (i % 50), value);
    }
    assertThat(hub.victimsMade()).as("the unread stream made victims").isPositive();
    c.call.request(Integer.MAX_VALUE);
    long end = last;
    List<WatchResponse> rs = c.await(l -> RecordingSink.lastEventRev(l, 0) >= end);
    List<Event> evs = RecordingSink.events(rs, 0);
    assertThat(evs).hasSize(400);
    for (int i = 1; i < evs.size(); i++) {
      assertThat(evs.get(i).getKv().getModRevision()).isEqualTo(evs.get(i - 1).getKv().getModRevision() + 1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource(ENGINES)
  void cancellingTheCallRemovesItsWatchers(String engine) throws IOException {
    open(engine);
    serve();
    Client c = new Client(Integer.MAX_VALUE);
    WatchGrpc.newStub(channel).watch(c);
    c.call.onNext(create("a", null, 0));
    c.call.onNext(create("b", "c", 0));
    c.await(l -> l.size() >= 2);
    assertThat(hub.watchers()).isEqualTo(2);
    c.call.cancel("test done", null);
    Await.until(() -> hub.watchers() == 0, "the server's cancel handler");
    assertThat(hub.watchers()).isZero();
    assertThat(hub.syncedWatchers()).isZero();
  }
}
