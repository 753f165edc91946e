package dev.strata.server.watch;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.strata.backend.Backend;
import dev.strata.server.mvcc.MvccOptions;
import dev.strata.server.mvcc.MvccStore;
import dev.strata.server.mvcc.TestEngines;
import dev.strata.server.snapshot.SwappableBackend;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A follower's store replaced by a leader's newer one while watches are open (snapshot install):
 * {@link MvccStore#reload} over a {@link SwappableBackend}, then {@link WatchHub#restore}. As in etcd's
 * {@code watchableStore.Restore}, each watcher continues from the revision it expects next — caught up
 * from the new store's history, or cancelled with the compaction revision if that history is gone.
 */
class WatchRestoreTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @MethodSource(WatchHarness.ENGINES)
  void watchersContinueFromTheRestoredStoreOrAreCompacted(String engine) {
    // the leader: revisions 2..11, compacted at 6, then 12..16, applied up to Raft index 100
    try (Backend b = TestEngines.open(engine, tmp.resolve("leader")); MvccStore leader = open(b)) {
      for (int i = 0; i < 10; i++) {
        put(leader, "k" + i, "v" + i);
      }
      leader.compact(CompactionRequest.newBuilder().setRevision(6).setPhysical(true).build());
      for (int i = 10; i < 15; i++) {
        put(leader, "k" + i, "v" + i);
      }
      leader.markApplied(2, 100);
      leader.sync();
    }
    // the follower saw the first three revisions only
    SwappableBackend backend = new SwappableBackend(TestEngines.open(engine, tmp.resolve("follower")));
    MvccStore store = open(backend);
    WatchHub hub = WatchHub.start(store, WatchOptions.defaults());
    try {
      for (int i = 0; i < 3; i++) {
        put(store, "k" + i, "v" + i);
      }
      store.markApplied(1, 3);
      RecordingSink sink = new RecordingSink();
      WatchStream stream = hub.openStream(sink, HeaderFiller.revisionOnly());
      stream.handle(WatchHarness.create("k", "l", 2)); // id 0: catches up to 4, then expects 5
      sink.awaitEventsUpTo(0, 4);
      stream.handle(WatchHarness.create("k", "l", 8)); // id 1: a future revision (synced, waiting)
      stream.handle(WatchHarness.create("k", "l", 0)); // id 2: from now on, i.e. 5
      stream.handle(WatchHarness.create("k", "l", 40)); // id 3: far in the future
      sink.await(l -> l.stream().filter(WatchResponse::getCreated).count() == 4, "4 watches created");

      store.reload(() -> backend.replace(() -> { }, () -> TestEngines.open(engine, tmp.resolve("leader"))));
      hub.restore();

      assertThat(store.currentRevision()).isEqualTo(16);
      assertThat(store.compactRevision()).isEqualTo(6);
      assertThat(store.appliedIndex()).isEqualTo(100);
      assertThat(store.appliedTerm()).isEqualTo(2);
      assertThat(store.range(RangeRequest.newBuilder().setKey(bs("k")).setRangeEnd(bs("l")).build()).getCount())
          .isEqualTo(15);
      // 5 was compacted away in the new store: etcd cancels such watchers with the compaction revision
      sink.await(l -> compactRevision(l, 0) == 6 && compactRevision(l, 2) == 6, "watches 0 and 2 compacted");
      List<Event> caughtUp = sink.awaitEventsUpTo(1, 16);
      assertThat(WatchHarness.describe(caughtUp)).containsExactly("8:PUT:k6", "9:PUT:k7", "10:PUT:k8",
          "11:PUT:k9", "12:PUT:k10", "13:PUT:k11", "14:PUT:k12", "15:PUT:k13", "16:PUT:k14");

      // and the store applies on from the new state, live to the caught-up watcher
      assertThat(put(store, "k99", "x")).isEqualTo(17);
      assertThat(WatchHarness.describe(sink.awaitEventsUpTo(1, 17))).endsWith("17:PUT:k99");
      assertThat(RecordingSink.events(sink.all(), 0)).hasSize(3);
      assertThat(RecordingSink.events(sink.all(), 3)).isEmpty();
      stream.close();
    } finally {
      hub.close();
      store.close();
      backend.close();
    }
  }

  private static MvccStore open(Backend b) {
    return MvccStore.open(b, MvccOptions.defaults().withBatch(4, Duration.ofMillis(5)));
  }

  private static long put(MvccStore s, String k, String v) {
    long rev = s.put(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)).build()).getHeader().getRevision();
    s.commitIfDue();
    return rev;
  }

  private static long compactRevision(List<WatchResponse> rs, long id) {
    return rs.stream().filter(r -> r.getWatchId() == id && r.getCanceled()).mapToLong(WatchResponse::getCompactRevision)
        .findFirst().orElse(0);
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
