package dev.strata.server.snapshot;

import dev.strata.backend.DataDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces {@code member/backend} with {@code member/backend.incoming} so that a crash at any point
 * leaves the old backend or the new one, never a mix.
 *
 * <p>The commit point is the marker file {@code member/backend.swap}, written (atomically, fsync'ed)
 * only once the incoming backend is complete, synced and closed. Before it exists, a crash leaves the
 * old backend and a partial {@code backend.incoming} that {@link #recover} deletes. After it exists,
 * {@link #recover} rolls the swap forward, and every step of that roll-forward is idempotent:
 * {@code backend → backend.old}, {@code backend.incoming → backend}, delete {@code backend.old}, delete
 * the marker. The engine name in {@code member/ENGINE} does not change: the follower always writes the
 * snapshot into its own engine.
 */
public final class BackendSwap {

  private static final Logger LOG = LoggerFactory.getLogger(BackendSwap.class);

  private final DataDir dataDir;

  public BackendSwap(DataDir dataDir) {
    this.dataDir = dataDir;
  }

  /** Where a snapshot being received is written. */
  public Path incomingDir() {
    return dataDir.memberDir().resolve("backend.incoming");
  }

  Path oldDir() {
    return dataDir.memberDir().resolve("backend.old");
  }

  Path marker() {
    return dataDir.memberDir().resolve("backend.swap");
  }

  /** Deletes what an earlier, unfinished transfer left, so a new one starts from an empty dir. */
  public void prepareIncoming() {
    deleteTree(incomingDir());
  }

  /**
   * Swaps the complete, closed incoming backend in; the member's current backend must be closed too.
   * {@code description} (e.g. the snapshot's term and index) is kept in the marker for diagnosis.
   */
  public void commit(String description) {
    seal(description);
    recover();
  }

  /**
   * Writes the commit point: from now on the incoming backend replaces the current one, at the latest
   * at the next {@link #recover}. The current backend may still be open (a running member keeps
   * applying into it until Raft pauses it); it must be closed before {@link #recover} renames it.
   */
  public void seal(String description) {
    if (!Files.isDirectory(incomingDir())) {
      throw new SnapshotException("nothing to swap in: " + incomingDir() + " is missing");
    }
    fsyncTree(incomingDir());
    Path tmp = marker().resolveSibling("backend.swap.tmp");
    try {
      Files.writeString(tmp, description + "\n", StandardCharsets.UTF_8);
      fsync(tmp, false);
      move(tmp, marker());
      fsync(dataDir.memberDir(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + marker(), e);
    }
  }

  /** Whether a sealed swap waits for {@link #recover}. */
  public boolean sealed() {
    return Files.exists(marker());
  }

  /**
   * Finishes or discards a swap a crash interrupted; run before the member opens its backend. Returns
   * whether a swap was rolled forward.
   */
  public boolean recover() {
    try {
      if (!Files.exists(marker())) {
        if (Files.exists(incomingDir())) {
          LOG.warn("discarding an incomplete snapshot transfer: dir={}", incomingDir());
          deleteTree(incomingDir());
        }
        deleteTree(oldDir());
        return false;
      }
      String what = Files.readString(marker(), StandardCharsets.UTF_8).trim();
      if (Files.exists(incomingDir())) {
        if (Files.exists(dataDir.backendDir())) {
          deleteTree(oldDir()); // a stale one from an earlier swap must not block the rename
          move(dataDir.backendDir(), oldDir());
        }
        move(incomingDir(), dataDir.backendDir());
        fsync(dataDir.memberDir(), true);
      }
      // no incoming dir: it was already renamed into place before the crash
      deleteTree(oldDir());
      Files.deleteIfExists(marker());
      fsync(dataDir.memberDir(), true);
      LOG.info("snapshot backend swapped in: {}", what);
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("backend swap in " + dataDir.memberDir() + " failed", e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static void fsyncTree(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          fsync(file, false);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          fsync(d, true);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fsync " + dir, e);
    }
  }

  private static void fsync(Path p, boolean dir) throws IOException {
    try (FileChannel ch = FileChannel.open(p, dir ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException e) {
      if (!dir) {
        throw e; // directories cannot be opened for fsync on every platform; files must sync
      }
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
