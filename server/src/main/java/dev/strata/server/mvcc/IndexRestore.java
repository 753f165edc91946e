package dev.strata.server.mvcc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import io.etcd.jetcd.api.KeyValue;

/**
 * Rebuilds the key index from the KEY bucket at startup, like etcd's {@code restoreIntoIndex}: entries
 * are replayed in revision order; a key first seen at a put (its older history compacted away) starts
 * from that KeyValue's create revision and version; a tombstone of an unknown key is ignored.
 */
final class IndexRestore {

  private IndexRestore() {}

  /**
   * Fills {@code index} from {@code view}.
   *
   * @return the main revision of the last KEY bucket entry, or 1 for an empty bucket (a fresh store)
   */
  static long restore(ReadView view, TreeIndex index) {
    long currentRev = 1;
    try (Cursor c = view.cursor(Bucket.KEY, null, null)) {
      while (c.next()) {
        byte[] revKey = c.key();
        Revision rev = Revision.fromBytes(revKey);
        KeyValue kv = parse(rev, c.value());
        ByteKey key = ByteKey.of(kv.getKey());
        currentRev = rev.main();
        KeyIndex ki = index.keyIndex(key);
        boolean tombstone = Revision.isTombstone(revKey);
        if (ki != null) {
          if (tombstone) {
            ki.tombstone(rev.main(), rev.sub());
          } else {
            ki.put(rev.main(), rev.sub());
          }
        } else if (!tombstone) {
          ki = new KeyIndex(key);
          ki.restore(new Revision(kv.getCreateRevision(), 0), rev, kv.getVersion());
          index.insert(ki);
        }
      }
    }
    return currentRev;
  }

  private static KeyValue parse(Revision rev, byte[] value) {
    try {
      return KeyValue.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("KEY bucket entry " + rev + " is not a KeyValue", e);
    }
  }
}
