package dev.strata.server.raft;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.util.TimeDuration;

/**
 * The metric registries Ratis records into (found through {@code ServiceLoader}, replacing
 * ratis-metrics-default): counters count, timers and gauges record nothing.
 *
 * <p>Ratis times every log append, log sync, append-entries call and apply. ratis-metrics-default
 * keeps each timing in a Dropwizard {@code ExponentiallyDecayingReservoir}, a {@code
 * ConcurrentSkipListMap} insert per sample: 2.7–4.5% of every member's CPU samples during a 3-member
 * {@code etcdctl check perf --load=l} (JFR, docs/benchmarks.md), for histograms nothing reads.
 * Strata's own metrics are etcd's, measured by Strata, not Ratis' registries.
 */
public final class QuietRatisMetrics extends MetricRegistries {

  private static final Timekeeper.Context NOT_TIMED = () -> 0L;
  private static final Timekeeper NO_TIMER = () -> NOT_TIMED;

  private final Map<MetricRegistryInfo, Registry> registries = new ConcurrentHashMap<>();

  /** For {@code ServiceLoader}. */
  public QuietRatisMetrics() {}

  @Override
  public void clear() {
    registries.clear();
  }

  @Override
  public RatisMetricRegistry create(MetricRegistryInfo info) {
    return registries.compute(info, (k, r) -> {
      Registry registry = r == null ? new Registry(info) : r;
      registry.references++;
      return registry;
    });
  }

  @Override
  public boolean remove(MetricRegistryInfo info) {
    boolean[] removed = {false};
    registries.computeIfPresent(info, (k, r) -> {
      removed[0] = --r.references == 0;
      return removed[0] ? null : r;
    });
    return removed[0];
  }

  @Override
  public Optional<RatisMetricRegistry> get(MetricRegistryInfo info) {
    return Optional.ofNullable(registries.get(info));
  }

  @Override
  public Set<MetricRegistryInfo> getMetricRegistryInfos() {
    return Set.copyOf(registries.keySet());
  }

  @Override
  public Collection<RatisMetricRegistry> getMetricRegistries() {
    return List.copyOf(registries.values());
  }

  @Override
  public void addReporterRegistration(Consumer<RatisMetricRegistry> reporterRegistration,
      Consumer<RatisMetricRegistry> stopReporter) {
    // nothing to report
  }

  @Override
  public void enableJmxReporter() {
    // nothing to report
  }

  @Override
  public void enableConsoleReporter(TimeDuration consoleReportRate) {
    // nothing to report
  }

  /** One component's metrics; {@code references} changes only inside the map's compute calls. */
  private static final class Registry implements RatisMetricRegistry {
    private final MetricRegistryInfo info;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private int references;

    Registry(MetricRegistryInfo info) {
      this.info = info;
    }

    @Override
    public Timekeeper timer(String name) {
      return NO_TIMER;
    }

    @Override
    public LongCounter counter(String name) {
      return counters.computeIfAbsent(name, n -> new Counter());
    }

    @Override
    public boolean remove(String name) {
      return counters.remove(name) != null;
    }

    @Override
    public <T> void gauge(String name, Supplier<Supplier<T>> gaugeSupplier) {
      // gauges are read on demand: with no reader there is nothing to keep
    }

    @Override
    public MetricRegistryInfo getMetricRegistryInfo() {
      return info;
    }
  }

  private static final class Counter implements LongCounter {
    private final LongAdder count = new LongAdder();

    @Override
    public void inc(long n) {
      count.add(n);
    }

    @Override
    public void dec(long n) {
      count.add(-n);
    }

    @Override
    public long getCount() {
      return count.sum();
    }
  }
}
