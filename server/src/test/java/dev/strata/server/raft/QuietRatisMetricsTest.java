package dev.strata.server.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.junit.jupiter.api.Test;

class QuietRatisMetricsTest {

  private static final MetricRegistryInfo INFO = new MetricRegistryInfo("m1", "ratis", "log_worker", "test");

  @Test
  void ratisLoadsTheQuietRegistriesFromTheClassPath() {
    assertThat(MetricRegistries.global()).isInstanceOf(QuietRatisMetrics.class);
  }

  @Test
  void registriesAreSharedUntilTheLastReferenceIsRemoved() {
    QuietRatisMetrics metrics = new QuietRatisMetrics();
    RatisMetricRegistry first = metrics.create(INFO);
    RatisMetricRegistry second = metrics.create(INFO);
    assertThat(second).isSameAs(first);
    assertThat(first.getMetricRegistryInfo()).isEqualTo(INFO);

    assertThat(metrics.remove(INFO)).isFalse();
    assertThat(metrics.get(INFO)).containsSame(first);
    assertThat(metrics.remove(INFO)).isTrue();
    assertThat(metrics.get(INFO)).isEmpty();
    assertThat(metrics.getMetricRegistries()).isEmpty();
  }

  @Test
  void countersCountAndTimersCostNothing() {
    RatisMetricRegistry registry = new QuietRatisMetrics().create(INFO);
    LongCounter counter = registry.counter("appends");
    counter.inc();
    counter.inc(4);
    counter.dec();
    assertThat(registry.counter("appends").getCount()).isEqualTo(4);
    assertThat(registry.remove("appends")).isTrue();
    assertThat(registry.counter("appends").getCount()).isZero();

    Timekeeper timer = registry.timer("append");
    assertThat(timer.time().stop()).isZero();
    assertThat(registry.timer("other")).isSameAs(timer);
  }
}
