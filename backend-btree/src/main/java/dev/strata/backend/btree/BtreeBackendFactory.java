package dev.strata.backend.btree;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendFactory;
import dev.strata.backend.BackendOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The "btree" engine: an LMDB environment ({@code data.mdb}, {@code lock.mdb}) in the given directory.
 * Registered for {@link java.util.ServiceLoader} in {@code META-INF/services}.
 *
 * <p>The JVM needs {@code --add-opens java.base/java.nio=ALL-UNNAMED --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED}: lmdbjava's fast buffer proxy points {@link java.nio.ByteBuffer}s
 * straight at the memory map.
 */
public final class BtreeBackendFactory implements BackendFactory {

  /** The name used by {@code --backend} and the {@code ENGINE} marker. */
  public static final String NAME = "btree";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend open(Path dir, BackendOptions options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    return BtreeBackend.open(dir, options);
  }
}
