package dev.strata.backend.btree;

import static org.lmdbjava.DbiFlags.MDB_CREATE;
import static org.lmdbjava.DbiFlags.MDB_UNSIGNEDKEY;
import static org.lmdbjava.EnvFlags.MDB_NOSYNC;
import static org.lmdbjava.EnvFlags.MDB_NOTLS;

import dev.strata.backend.BackendFailureException;
import dev.strata.backend.Bucket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.CopyFlags;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvInfo;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * One open LMDB environment and its named databases, one per {@link Bucket}. Holds no policy (map
 * growth, locking): {@link BtreeBackend} decides when each method may run. Never used after
 * {@link #close()}: touching a closed environment's handles crashes the JVM.
 */
final class LmdbStore {

  static final String DATA_FILE = "data.mdb";

  /**
   * Reader slots in {@code lock.mdb}: with {@code MDB_NOTLS} every open read view holds one. LMDB's
   * default is 126, low for a server answering many concurrent range requests; a slot costs 64 bytes.
   */
  static final int MAX_READERS = 1024;

  private final Path dir;
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer>[] dbis;
  private final int pageSize;

  private LmdbStore(Path dir, Env<ByteBuffer> env, Dbi<ByteBuffer>[] dbis, int pageSize) {
    this.dir = dir;
    this.env = env;
    this.dbis = dbis;
    this.pageSize = pageSize;
  }

  /**
   * Opens (creating if absent) the environment in {@code dir} with a map of {@code mapSize} bytes.
   *
   * <p>Flags: {@code MDB_NOTLS} because read views move between threads and one thread may hold
   * several; {@code MDB_NOSYNC} because the Raft log is the write-ahead log and {@link #sync()} runs
   * at checkpoints. A commit still writes its pages into the OS page cache before returning, so
   * kill -9 loses nothing committed; only power loss needs {@link #sync()}. Never
   * {@code MDB_WRITEMAP}: with it, NOSYNC may leave a corrupt file after power loss ({@code lmdb.h}).
   *
   * @throws BackendFailureException naming {@code data.mdb} if LMDB cannot open it (corrupt, not an
   *     LMDB file, version mismatch, I/O error)
   */
  @SuppressWarnings({"unchecked", "rawtypes"}) // generic array of Dbi, indexed by bucket ordinal
  static LmdbStore open(Path dir, long mapSize) {
    Env<ByteBuffer> env = null;
    try {
      env = Env.create(ByteBufferProxy.PROXY_OPTIMAL)
          .setMapSize(mapSize)
          .setMaxDbs(Bucket.values().length)
          .setMaxReaders(MAX_READERS)
          .open(dir.toFile(), MDB_NOTLS, MDB_NOSYNC);
      // Frees reader slots left by a process that died with read transactions open (a kill -9'ed
      // member); they would otherwise pin old pages and hold slots until lock.mdb is reset.
      env.readerCheck();
      Dbi<ByteBuffer>[] dbis = new Dbi[Bucket.values().length];
      for (Bucket bucket : Bucket.values()) {
        // MDB_UNSIGNEDKEY only selects lmdbjava's Java-side comparator (used by its iterators); LMDB
        // itself compares with memcmp, which is already unsigned. Set anyway so no lmdbjava path
        // ever orders keys signed (lmdbjava#228).
        dbis[bucket.ordinal()] = env.openDbi(bucket.etcdName(), MDB_CREATE, MDB_UNSIGNEDKEY);
      }
      return new LmdbStore(dir, env, dbis, env.stat().pageSize);
    } catch (LmdbException e) {
      if (env != null) {
        env.close();
      }
      throw failure("cannot open", dir.resolve(DATA_FILE), e);
    }
  }

  /** A {@link BackendFailureException} with the file and LMDB's reason, for an operator. */
  static BackendFailureException failure(String action, Path file, RuntimeException e) {
    return new BackendFailureException(
        "btree backend: " + action + " " + file + ": " + e.getMessage(), e);
  }

  BackendFailureException failure(String action, RuntimeException e) {
    return failure(action, dataFile(), e);
  }

  Path dataFile() {
    return dir.resolve(DATA_FILE);
  }

  Env<ByteBuffer> env() {
    return env;
  }

  Dbi<ByteBuffer> dbi(Bucket bucket) {
    return dbis[bucket.ordinal()];
  }

  int pageSize() {
    return pageSize;
  }

  Txn<ByteBuffer> beginRead() {
    try {
      return env.txnRead();
    } catch (LmdbException e) {
      throw failure("cannot begin a read transaction on", e);
    }
  }

  long mapSize() {
    return info().mapSize;
  }

  EnvInfo info() {
    try {
      return env.info();
    } catch (LmdbException e) {
      throw failure("cannot read the environment info of", e);
    }
  }

  /** Caller guarantees no transaction of this process is open (see {@link TxnGate}). */
  void setMapSize(long bytes) {
    try {
      env.setMapSize(bytes);
    } catch (LmdbException e) {
      throw failure("cannot grow the map to " + bytes + " bytes for", e);
    }
  }

  /** fsyncs the data file: everything committed so far survives power loss. */
  void sync() {
    try {
      env.sync(true);
    } catch (LmdbException e) {
      throw failure("cannot fsync", e);
    }
  }

  /**
   * Writes a compacted copy (free pages omitted, pages renumbered) of the last committed state into
   * the empty directory {@code target}; LMDB reads it in its own read transaction.
   */
  void copyCompact(Path target) {
    try {
      env.copy(target.toFile(), CopyFlags.MDB_CP_COMPACT);
    } catch (LmdbException e) {
      throw failure("cannot copy into " + target + " from", e);
    }
  }

  /**
   * Syncs, then closes the databases and the environment in reverse order of opening. Caller
   * guarantees no transaction is open. The environment is closed even if the sync fails.
   */
  void close() {
    try {
      env.sync(true);
    } catch (LmdbException e) {
      throw failure("cannot fsync on close", e);
    } finally {
      for (int i = dbis.length - 1; i >= 0; i--) {
        dbis[i].close();
      }
      env.close();
    }
  }
}
