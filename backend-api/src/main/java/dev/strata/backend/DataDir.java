package dev.strata.backend;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A member's data directory ({@code --data-dir}): {@code member/ENGINE} records which engine wrote
 * {@code member/backend/}, so that a member never opens another engine's files.
 *
 * <pre>
 * &lt;data-dir&gt;/member/ENGINE     one line: "&lt;engine&gt; &lt;format version&gt;", e.g. "btree 1"
 * &lt;data-dir&gt;/member/backend/   the engine's files
 * &lt;data-dir&gt;/member/raft/      the Raft log (owned by the server)
 * &lt;data-dir&gt;/member/LOCK       held by the process using the data dir ({@link #lock()})
 * </pre>
 */
public final class DataDir {

  /** Version of the logical format (buckets and encodings) written next to the engine name. */
  public static final int FORMAT_VERSION = 1;

  private final Path root;

  public DataDir(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  public Path memberDir() {
    return root.resolve("member");
  }

  public Path backendDir() {
    return memberDir().resolve("backend");
  }

  public Path engineMarker() {
    return memberDir().resolve("ENGINE");
  }

  /** The engine named in {@code member/ENGINE}, or empty for a new data dir. */
  public Optional<String> engine() {
    Path marker = engineMarker();
    if (!Files.exists(marker)) {
      return Optional.empty();
    }
    String line;
    try {
      line = Files.readString(marker, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new DataDirException("cannot read " + marker + ": " + e.getMessage(), e);
    }
    String[] parts = line.split("\\s+");
    if (parts.length != 2 || !parts[1].equals(Integer.toString(FORMAT_VERSION))) {
      throw new DataDirException(marker + " holds '" + line + "', expected '<engine> " + FORMAT_VERSION
          + "'; this data dir was not written by this version of Strata");
    }
    return Optional.of(parts[0]);
  }

  /**
   * Opens the member's backend with the engine {@code factory}, creating the data dir and the
   * {@code ENGINE} marker on first use.
   *
   * @throws DataDirException if the dir is unusable or was created by another engine
   */
  public Backend openBackend(BackendFactory factory, BackendOptions options) {
    prepareWritableMemberDir();
    Optional<String> existing = engine();
    if (existing.isPresent() && !existing.get().equals(factory.name())) {
      throw new DataDirException("data dir " + root + " holds a '" + existing.get()
          + "' backend but --backend=" + factory.name() + " was given; start with --backend="
          + existing.get() + ", or convert it with: strata-util migrate --data-dir " + root
          + " --to " + factory.name());
    }
    if (existing.isEmpty()) {
      if (hasFiles(backendDir())) {
        throw new DataDirException(backendDir() + " holds engine files but " + engineMarker()
            + " is missing; refusing to guess which engine wrote them");
      }
      writeMarker(factory.name());
    }
    return factory.open(backendDir(), options);
  }

  /**
   * Takes {@code member/LOCK} for the life of a process (etcd locks its data dir likewise): a second
   * member, or an offline tool, on the same data dir would write the same engine files and Raft log.
   * Released when closed or when the process ends, kill -9 included (an OS file lock).
   *
   * @throws DataDirException if another process holds it
   */
  public AutoCloseable lock() {
    prepareWritableMemberDir();
    Path file = memberDir().resolve("LOCK");
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw inUse(file);
      }
      FileChannel held = channel;
      return () -> {
        lock.release();
        held.close();
      };
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw inUse(file);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new DataDirException("cannot lock " + file + ": " + e.getMessage(), e);
    } catch (DataDirException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private DataDirException inUse(Path file) {
    return new DataDirException("data dir " + root + " is in use by another process (" + file
        + " is locked); stop it first");
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing was locked through it
      }
    }
  }

  /** Atomically replaces {@code member/ENGINE} (the migrator's switch point). */
  public void writeMarker(String engineName) {
    Path marker = engineMarker();
    Path tmp = marker.resolveSibling("ENGINE.tmp");
    try {
      Files.writeString(tmp, engineName + " " + FORMAT_VERSION + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, marker, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new DataDirException("cannot write " + marker + ": " + e.getMessage(), e);
    }
  }

  private void prepareWritableMemberDir() {
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new DataDirException("data dir " + root + " exists but is not a directory");
    }
    try {
      Files.createDirectories(memberDir());
    } catch (IOException e) {
      throw new DataDirException("cannot create data dir " + memberDir() + ": " + e, e);
    }
    if (!Files.isWritable(memberDir())) {
      throw new DataDirException("data dir " + memberDir() + " is not writable");
    }
  }

  private static boolean hasFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    } catch (IOException e) {
      throw new DataDirException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}
