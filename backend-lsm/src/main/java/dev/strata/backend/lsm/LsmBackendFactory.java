package dev.strata.backend.lsm;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFactory;
import dev.strata.backend.BackendOptions;
import java.nio.file.Path;

/**
 * The {@code lsm} engine: RocksDB with its WAL disabled (Strata's Raft log is the WAL), buckets as
 * key prefixes in one column family, LZ4 above and ZSTD at the bottom level, a bloom-filtered shared
 * block cache of {@link BackendOptions#cacheBytes()}. Found through {@link java.util.ServiceLoader}.
 */
public final class LsmBackendFactory implements BackendFactory {

  /** The engine's name for {@code --backend} and the {@code ENGINE} marker. */
  public static final String NAME = "lsm";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Opens or creates a RocksDB database in {@code dir}. Data committed but not synced before a crash
   * is absent after reopening; see the package documentation.
   *
   * @throws dev.strata.backend.DataDirException if {@code dir} is not a writable directory
   * @throws dev.strata.backend.BackendFailureException naming {@code dir} and RocksDB's reason if the
   *     database cannot be opened (corrupted MANIFEST or CURRENT, I/O error, held by another open)
   */
  @Override
  public Backend open(Path dir, BackendOptions options) {
    return LsmBackend.open(dir, options);
  }
}
