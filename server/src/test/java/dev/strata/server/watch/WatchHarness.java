package dev.strata.server.watch;

import dev.strata.server.mvcc.TestEngines;
import com.google.protobuf.ByteString;
import dev.strata.backend.Backend;
import dev.strata.server.mvcc.MvccOptions;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real engine in a temp dir, an {@link MvccStore} committing in small batches (so history is read
 * both from the engine and from the read buffer) and a {@link WatchHub}. The test thread plays the
 * apply thread.
 */
abstract class WatchHarness {

  static final String ENGINES = "dev.strata.server.mvcc.TestEngines#names";

  @TempDir
  Path tmp;

  Backend backend;
  MvccStore store;
  WatchHub hub;

  void open(String engine) {
    open(engine, WatchOptions.defaults());
  }

  void open(String engine, WatchOptions options) {
    backend = TestEngines.open(engine, tmp.resolve("backend"));
    store = MvccStore.open(backend, MvccOptions.defaults().withBatch(64, Duration.ofMillis(5)));
    hub = WatchHub.start(store, options);
  }

  @AfterEach
  void closeAll() {
    if (hub != null) {
      hub.close();
    }
    if (store != null) {
      store.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  WatchStream stream(RecordingSink sink) {
    return hub.openStream(sink, HeaderFiller.revisionOnly());
  }

  long put(String key, String value) {
    long rev = store.put(PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build())
        .getHeader().getRevision();
    store.commitIfDue();
    return rev;
  }

  long del(String key) {
    long rev = store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs(key)).build())
        .getHeader().getRevision();
    store.commitIfDue();
    return rev;
  }

  long delRange(String key, String end) {
    long rev = store.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end))
        .build()).getHeader().getRevision();
    store.commitIfDue();
    return rev;
  }

  /** A txn of puts {@code k=v} (pairs), one revision. */
  long txnPut(String... kvs) {
    TxnRequest.Builder t = TxnRequest.newBuilder();
    for (int i = 0; i < kvs.length; i += 2) {
      t.addSuccess(RequestOp.newBuilder().setRequestPut(
          PutRequest.newBuilder().setKey(bs(kvs[i])).setValue(bs(kvs[i + 1]))));
    }
    long rev = store.txn(t.build()).getHeader().getRevision();
    store.commitIfDue();
    return rev;
  }

  void compact(long rev) {
    store.compact(CompactionRequest.newBuilder().setRevision(rev).setPhysical(true).build());
  }

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static WatchRequest create(String key, String end, long start) {
    return create(key, end, start, b -> b);
  }

  static WatchRequest create(String key, String end, long start,
      UnaryOperator<WatchCreateRequest.Builder> more) {
    WatchCreateRequest.Builder b = WatchCreateRequest.newBuilder().setKey(bs(key)).setStartRevision(start);
    if (end != null) {
      b.setRangeEnd(bs(end));
    }
    return WatchRequest.newBuilder().setCreateRequest(more.apply(b)).build();
  }

  static WatchRequest cancel(long id) {
    return WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id)).build();
  }

  static WatchRequest progress() {
    return WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build();
  }

  /** "rev:TYPE:key" per event, to compare event lists readably. */
  static List<String> describe(List<Event> events) {
    List<String> out = new ArrayList<>();
    for (Event e : events) {
      out.add(e.getKv().getModRevision() + ":" + e.getType() + ":" + e.getKv().getKey().toStringUtf8());
    }
    return out;
  }
}
