package dev.strata.server.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.backend.Backend;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens an {@link MvccStore} on a real engine in a temp dir. After each test it checks the store:
 * every key the index lists has its KeyValue in the KEY bucket, and a restart (close, reopen,
 * rebuild the index) gives the same revision, contents and HashKV.
 */
abstract class StoreHarness {

  @TempDir
  Path tmp;

  String engine;
  Backend backend;
  MvccStore store;

  /** Every lease exists here: lease bookkeeping is the lessor's job, these tests cover the store. */
  MvccOptions options() {
    return MvccOptions.defaults().withLeaseExists(id -> true);
  }

  MvccStore open(String engineName) {
    engine = engineName;
    backend = TestEngines.open(engine, tmp.resolve("backend"));
    store = MvccStore.open(backend, options());
    return store;
  }

  /** Closes the store and the backend and opens both again on the same files. */
  MvccStore reopen() {
    store.close();
    backend.close();
    backend = TestEngines.open(engine, tmp.resolve("backend"));
    store = MvccStore.open(backend, options());
    return store;
  }

  @AfterEach
  void checkAndClose() {
    if (store == null) {
      return;
    }
    try {
      RangeResponse before = store.range(Req.all());
      long rev = store.currentRevision();
      long compact = store.compactRevision();
      int hash = store.hashKV(0).getHash();
      reopen();
      assertThat(store.currentRevision()).as("revision after restart").isEqualTo(rev);
      assertThat(store.compactRevision()).as("compact revision after restart").isEqualTo(compact);
      assertThat(store.range(Req.all())).as("contents after restart").isEqualTo(before);
      assertThat(store.hashKV(0).getHash()).as("HashKV after restart").isEqualTo(hash);
    } finally {
      store.close();
      backend.close();
    }
  }

  long put(String key, String value) {
    return store.put(Req.put(key, value)).getHeader().getRevision();
  }

  KeyValue kv(String key) {
    List<KeyValue> kvs = store.range(Req.get(key)).getKvsList();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  static List<String> keys(RangeResponse r) {
    return r.getKvsList().stream().map(Req::key).toList();
  }
}
