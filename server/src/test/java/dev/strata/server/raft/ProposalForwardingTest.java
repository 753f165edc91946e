package dev.strata.server.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarding contract over a real gRPC server on loopback: the leader's answer reaches the
 * follower as the entry's index; a batch the leader did not take (not leading, refused, nobody
 * listening) is reported as not taken, so the follower may propose it again; a batch the leader took
 * and then failed is not, since its outcome is unknown.
 */
class ProposalForwardingTest {

  private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(5);

  private final ProposalForwarding leaderSide = new ProposalForwarding(GrpcServices.Customizer.getDefaultInstance(), 1 << 20);
  private final ProposalForwarding followerSide = new ProposalForwarding(GrpcServices.Customizer.getDefaultInstance(), 1 << 20);
  private final List<byte[]> taken = new CopyOnWriteArrayList<>();
  private final AtomicBoolean leading = new AtomicBoolean(true);
  private Server server;
  private String address;

  @BeforeEach
  void startLeaderSide() throws Exception {
    server = leaderSide.customize(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
        EnumSet.of(GrpcServices.Type.SERVER)).build().start();
    address = "127.0.0.1:" + server.getPort();
  }

  @AfterEach
  void stop() throws Exception {
    followerSide.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void theLeaderAnswersWithTheIndexOfTheEntryThatCarriedTheBatch() throws Exception {
    leaderSide.serve(leading::get, batch -> {
      taken.add(batch);
      return CompletableFuture.completedFuture(41L + taken.size());
    });

    assertThat(followerSide.forward(address, new byte[] {18, 1, 7}, TIMEOUT).get(5, TimeUnit.SECONDS)).isEqualTo(42L);
    assertThat(followerSide.forward(address, new byte[] {18, 0}, TIMEOUT).get(5, TimeUnit.SECONDS)).isEqualTo(43L);
    assertThat(taken).containsExactly(new byte[] {18, 1, 7}, new byte[] {18, 0});
  }

  @Test
  void aMemberThatDoesNotLeadTakesNothing() {
    leaderSide.serve(leading::get, batch -> {
      taken.add(batch);
      return CompletableFuture.completedFuture(1L);
    });
    leading.set(false);

    assertNotTaken(followerSide.forward(address, new byte[] {18, 0}, TIMEOUT));
    assertThat(taken).isEmpty();
  }

  @Test
  void aMemberNotServingYetTakesNothing() {
    assertNotTaken(followerSide.forward(address, new byte[] {18, 0}, TIMEOUT));
  }

  @Test
  void aBatchTheProposerRefusedWasNotTaken() {
    leaderSide.serve(leading::get, batch -> {
      throw new IllegalArgumentException("malformed forwarded batch");
    });

    assertNotTaken(followerSide.forward(address, new byte[] {1}, TIMEOUT));
  }

  @Test
  void aBatchNobodyListenedForWasNotTaken() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

    assertNotTaken(followerSide.forward(address, new byte[] {18, 0}, TIMEOUT));
  }

  @Test
  void aTakenBatchThatFailedHasAnUnknownOutcome() {
    leaderSide.serve(leading::get, batch -> CompletableFuture.failedFuture(new IllegalStateException("lost leadership")));

    CompletableFuture<Long> f = followerSide.forward(address, new byte[] {18, 0}, TIMEOUT);

    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .satisfies(e -> assertThat(ProposalForwarding.notTaken(e.getCause())).as("not taken: %s", e.getCause()).isFalse())
        .hasMessageContaining("lost leadership");
  }

  private static void assertNotTaken(CompletableFuture<Long> f) {
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .satisfies(e -> assertThat(ProposalForwarding.notTaken(e.getCause())).as("not taken: %s", e.getCause()).isTrue());
  }
}
