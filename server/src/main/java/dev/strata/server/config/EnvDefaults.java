package dev.strata.server.config;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Environment variables as flag defaults, like etcd ({@code pkg/flags}): {@code --data-dir} reads
 * {@code STRATA_DATA_DIR}, then {@code ETCD_DATA_DIR}. A flag on the command line wins.
 */
public final class EnvDefaults implements IDefaultValueProvider {

  private final Map<String, String> env;

  public EnvDefaults(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option)) {
      return null;
    }
    String suffix = option.longestName().replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    String v = env.get("STRATA_" + suffix);
    return v != null ? v : env.get("ETCD_" + suffix);
  }
}
