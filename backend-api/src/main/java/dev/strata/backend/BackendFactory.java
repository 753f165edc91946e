package dev.strata.backend;

import java.nio.file.Path;

/**
 * Opens one engine. Implementations are listed in
 * {@code META-INF/services/dev.strata.backend.BackendFactory} and found with
 * {@link java.util.ServiceLoader} (see {@link Backends}).
 */
public interface BackendFactory {

  /** The engine's name as used by {@code --backend} and the {@code ENGINE} marker, e.g. "btree". */
  String name();

  /**
   * Opens (creating if absent) the engine's files in {@code dir}.
   *
   * @throws DataDirException if {@code dir} is not a writable directory
   * @throws BackendFailureException if the engine's files are damaged or cannot be read
   */
  Backend open(Path dir, BackendOptions options);
}
