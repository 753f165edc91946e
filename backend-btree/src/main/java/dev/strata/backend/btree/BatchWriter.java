package dev.strata.backend.btree;

import dev.strata.backend.Mutation;
import java.nio.ByteBuffer;
import java.util.List;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.Txn;

/** Applies a batch's mutations, in order, in one LMDB write transaction. Writer thread only. */
final class BatchWriter {

  private BatchWriter() {}

  /**
   * Commits {@code mutations} atomically: all of them, or (on any exception) none, because the write
   * transaction is aborted when it is closed uncommitted, and a failed {@code mdb_txn_commit} frees it.
   * Exceptions are LMDB's own ({@code Env.MapFullException} included) for the caller to translate.
   */
  static void commit(LmdbStore store, List<Mutation> mutations) {
    try (Txn<ByteBuffer> txn = store.env().txnWrite()) {
      for (Mutation m : mutations) {
        apply(store, txn, m);
      }
      txn.commit();
    }
  }

  private static void apply(LmdbStore store, Txn<ByteBuffer> txn, Mutation m) {
    Dbi<ByteBuffer> dbi = store.dbi(m.bucket());
    if (m instanceof Mutation.Put put) {
      // MDB_RESERVE lets us copy the value straight into its page: one copy instead of two (into a
      // direct buffer, then by LMDB into the page), which matters for 1.5 MiB values. The reserved
      // space is valid until the next update, and we fill it at once.
      byte[] value = put.value();
      ByteBuffer dst = dbi.reserve(txn, Buffers.key(put.key()), value.length);
      dst.put(0, value);
    } else if (m instanceof Mutation.Delete delete) {
      dbi.delete(txn, Buffers.key(delete.key()));
    } else if (m instanceof Mutation.DeleteRange range) {
      deleteRange(txn, dbi, range.from(), range.to());
    } else {
      throw new IllegalArgumentException("unknown mutation " + m.getClass().getName());
    }
  }

  /**
   * Deletes {@code [from, to)} with a cursor of the write transaction. After {@code mdb_cursor_del}
   * the cursor already rests on the following key, and the next {@code MDB_NEXT} returns that key
   * rather than skipping it.
   */
  private static void deleteRange(Txn<ByteBuffer> txn, Dbi<ByteBuffer> dbi, byte[] from, byte[] to) {
    ByteBuffer upper = KeyRanges.upper(to);
    // The cursor must close before the transaction commits: lmdbjava refuses to close a write
    // cursor of a finished transaction.
    try (Cursor<ByteBuffer> c = dbi.openCursor(txn)) {
      boolean found = KeyRanges.seek(c, from);
      while (found && KeyRanges.beforeEnd(c, upper)) {
        c.delete();
        found = c.next();
      }
    }
  }
}
