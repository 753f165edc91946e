package dev.strata.backend;

import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds engines on the class path with {@link ServiceLoader}; the server never names an engine class. */
public final class Backends {

  private Backends() {}

  /** Every engine on the class path, sorted by name. */
  public static List<BackendFactory> available() {
    return ServiceLoader.load(BackendFactory.class).stream()
        .map(ServiceLoader.Provider::get)
        .sorted((a, b) -> a.name().compareTo(b.name()))
        .collect(Collectors.toUnmodifiableList());
  }

  /**
   * Returns the engine called {@code name}.
   *
   * @throws IllegalArgumentException naming the engines that are available if there is none by that name
   */
  public static BackendFactory factory(String name) {
    List<BackendFactory> all = available();
    return all.stream()
        .filter(f -> f.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "unknown backend '" + name + "'; available: " + names(all)));
  }

  /** The names of every engine found, comma-separated. */
  public static String names(List<BackendFactory> factories) {
    return factories.stream().map(BackendFactory::name).collect(Collectors.joining(", "));
  }
}
