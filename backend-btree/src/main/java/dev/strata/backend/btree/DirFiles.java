package dev.strata.backend.btree;

import dev.strata.backend.BackendFailureException;
import dev.strata.backend.DataDirException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** File-system steps around the environment: checking dirs, fsync, clean-up of interrupted work. */
final class DirFiles {

  private DirFiles() {}

  /**
   * Creates {@code dir} if absent and checks it is a writable directory.
   *
   * @throws DataDirException with a one-line reason otherwise
   */
  static void prepareBackendDir(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new DataDirException("btree backend dir " + dir + " exists but is not a directory");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new DataDirException("cannot create btree backend dir " + dir + ": " + e, e);
    }
    if (!Files.isWritable(dir)) {
      throw new DataDirException("btree backend dir " + dir + " is not writable");
    }
    Path data = dir.resolve(LmdbStore.DATA_FILE);
    if (Files.exists(data) && !Files.isWritable(data)) {
      throw new DataDirException("btree data file " + data + " is not writable");
    }
  }

  /**
   * Creates {@code dir} for an export, or accepts it if it is an empty directory.
   *
   * @throws IllegalArgumentException if it is a file or a non-empty directory
   */
  static void prepareEmptyDir(Path dir) {
    try {
      if (Files.exists(dir)) {
        if (!Files.isDirectory(dir)) {
          throw new IllegalArgumentException("export target " + dir + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            throw new IllegalArgumentException("export target " + dir + " is not empty");
          }
        }
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new BackendFailureException("btree backend: cannot prepare export target " + dir + ": " + e, e);
    }
  }

  /** Size of {@code file} in bytes, 0 if it does not exist. */
  static long sizeOrZero(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      throw new BackendFailureException("btree backend: cannot stat " + file + ": " + e, e);
    }
  }

  /**
   * fsyncs a file, or a directory so that a rename or create in it survives power loss. LMDB's
   * {@code mdb_env_copy} does not fsync what it writes, and a copy that is used as the store (defrag)
   * or shipped to a follower (export) must be on disk before anything points to it.
   */
  static void fsync(Path path) {
    boolean dir = Files.isDirectory(path);
    try (FileChannel ch = FileChannel.open(path, dir ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException e) {
      throw new BackendFailureException("btree backend: cannot fsync " + path + ": " + e, e);
    }
  }

  /** Deletes {@code path} and everything under it, if it exists. */
  static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new BackendFailureException("btree backend: cannot delete " + path + ": " + e, e);
    }
  }

  /**
   * Atomically renames {@code source} over {@code target} and fsyncs the directory, so that after a
   * crash {@code target} is the old or the new file, never a mix.
   */
  static void replace(Path source, Path target) {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new BackendFailureException("btree backend: cannot move " + source + " to " + target + ": " + e, e);
    }
    fsync(target.getParent());
  }
}
