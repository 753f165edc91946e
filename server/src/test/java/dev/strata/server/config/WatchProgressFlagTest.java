package dev.strata.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --experimental-watch-progress-notify-interval}: Go duration syntax and etcd's bounds. */
class WatchProgressFlagTest {

  private static Duration parse(Map<String, String> env, String... args) {
    ServerOptions options = new ServerOptions();
    new CommandLine(options).setDefaultValueProvider(new EnvDefaults(env)).parseArgs(args);
    return options.toConfig().watchProgressNotifyInterval();
  }

  @Test
  void defaultsToTenMinutesAndReadsGoDurations() {
    assertThat(parse(Map.of())).isEqualTo(Duration.ofMinutes(10));
    assertThat(parse(Map.of(), "--experimental-watch-progress-notify-interval", "2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(parse(Map.of(), "--experimental-watch-progress-notify-interval=1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(parse(Map.of(), "--experimental-watch-progress-notify-interval=1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(parse(Map.of("ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL", "250ms")))
        .isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void etcdBoundsZeroIsDefaultAndTinyIsRaisedTo100ms() {
    assertThat(parse(Map.of(), "--experimental-watch-progress-notify-interval=0")).isEqualTo(Duration.ofMinutes(10));
    assertThat(parse(Map.of(), "--experimental-watch-progress-notify-interval=10ms")).isEqualTo(Duration.ofMillis(100));
    assertThatThrownBy(() -> parse(Map.of(), "--experimental-watch-progress-notify-interval=-1s"))
        .hasMessageContaining("must not be negative");
    assertThatThrownBy(() -> parse(Map.of(), "--experimental-watch-progress-notify-interval=10"))
        .hasMessageContaining("invalid duration");
    assertThatThrownBy(() -> parse(Map.of(), "--experimental-watch-progress-notify-interval=5x"))
        .hasMessageContaining("invalid duration");
  }
}
