package dev.strata.server.etcdserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class WaitersTest {

  @Test
  void aCallNotAppliedWithinTheRequestTimeoutFailsWithATimeout() throws Exception {
    try (Waiters waiters = new Waiters(Duration.ofMillis(100))) {
      CompletableFuture<Object> late = new CompletableFuture<>();
      long start = System.nanoTime(); // before register, which sets the deadline
      long id = waiters.register(late);
      assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(TimeoutException.class);
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
      // the apply that comes after the timeout finds no caller
      waiters.complete(id, "too late");
      assertThat(late.isCompletedExceptionally()).isTrue();
    }
  }

  @Test
  void anAppliedCallIsAnsweredAndNotTimedOutLater() throws Exception {
    try (Waiters waiters = new Waiters(Duration.ofMillis(100))) {
      CompletableFuture<Object> done = new CompletableFuture<>();
      CompletableFuture<Object> late = new CompletableFuture<>();
      long id = waiters.register(done);
      waiters.register(late);
      waiters.complete(id, "response");
      assertThat(done.get(1, TimeUnit.SECONDS)).isEqualTo("response");
      // once a later call has timed out, sweeps have run past the first call's deadline
      assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
      assertThat(done.isCompletedExceptionally()).isFalse();
    }
  }
}
