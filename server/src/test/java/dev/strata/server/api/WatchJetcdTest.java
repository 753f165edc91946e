package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The jetcd {@link Watch} client against a real in-process member per engine, with the Watch service
 * wired as {@code Main} wires it: key and prefix watches, prev_kv, filters, replay from a past
 * revision, the compaction error, and resuming after a reconnect from the last revision + 1.
 */
class WatchJetcdTest {

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  /** Collects a watcher's events; waits are bounded and woken by arrivals. */
  private static final class Events implements Watch.Listener {
    private final List<String> got = new ArrayList<>();
    private final CompletableFuture<Throwable> error = new CompletableFuture<>();

    @Override
    public synchronized void onNext(WatchResponse r) {
      for (WatchEvent e : r.getEvents()) {
        var kv = e.getKeyValue();
        String line = kv.getModRevision() + " " + e.getEventType() + " " + s(kv.getKey()) + "=" + s(kv.getValue());
        if (e.getPrevKV() != null && e.getPrevKV().getModRevision() != 0) {
          line += " prev=" + s(e.getPrevKV().getValue());
        }
        got.add(line);
      }
      notifyAll();
    }

    @Override
    public void onError(Throwable t) {
      error.complete(t);
    }

    @Override
    public void onCompleted() {
    }

    synchronized List<String> await(Predicate<List<String>> p) throws InterruptedException {
      long deadline = System.currentTimeMillis() + WatchWire.TIMEOUT_MS;
      while (!p.test(got)) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          fail("timed out; got " + got);
        }
        wait(left);
      }
      return new ArrayList<>(got);
    }

    synchronized List<String> awaitCount(int n) throws InterruptedException {
      return await(l -> l.size() >= n);
    }
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String s(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  private static long put(KV kv, String k, String v) throws Exception {
    return kv.put(b(k), b(v)).get(30, TimeUnit.SECONDS).getHeader().getRevision();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void keyPrefixPrevKvFiltersAndPastRevision(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort());
         Client client = Client.builder().endpoints("http://127.0.0.1:" + m.clients.port(0)).build()) {
      KV kv = client.getKVClient();
      Watch watch = client.getWatchClient();
      long r0 = put(kv, "w/a", "0"); // history before any watch

      Events key = new Events();
      Events prefix = new Events();
      Events noDelete = new Events();
      Events noPut = new Events();
      Events past = new Events();
      // jetcd opens each watcher on its own stream and waits for created before the first event
      try (Watch.Watcher w1 = watch.watch(b("w/a"), WatchOption.builder().withRevision(r0 + 1).build(), key);
           Watch.Watcher w2 = watch.watch(b("w/"), WatchOption.builder().isPrefix(true).withPrevKV(true)
               .withRevision(r0 + 1).build(), prefix);
           Watch.Watcher w3 = watch.watch(b("w/"), WatchOption.builder().isPrefix(true).withNoDelete(true)
               .withRevision(r0 + 1).build(), noDelete);
           Watch.Watcher w4 = watch.watch(b("w/"), WatchOption.builder().isPrefix(true).withNoPut(true)
               .withRevision(r0 + 1).build(), noPut)) {
        long r1 = put(kv, "w/a", "1");
        long r2 = put(kv, "w/b", "2");
        long r3 = kv.delete(b("w/a")).get(30, TimeUnit.SECONDS).getHeader().getRevision();
        long r4 = put(kv, "x/ignored", "3");
        long r5 = kv.delete(b("w/"), DeleteOption.builder().isPrefix(true).build())
            .get(30, TimeUnit.SECONDS).getHeader().getRevision();
        assertThat(key.awaitCount(2)).containsExactly(r1 + " PUT w/a=1", r3 + " DELETE w/a=");
        assertThat(prefix.awaitCount(4)).containsExactly(r1 + " PUT w/a=1 prev=0", r2 + " PUT w/b=2",
            r3 + " DELETE w/a= prev=1", r5 + " DELETE w/b= prev=2");
        assertThat(noDelete.awaitCount(2)).containsExactly(r1 + " PUT w/a=1", r2 + " PUT w/b=2");
        assertThat(noPut.awaitCount(2)).containsExactly(r3 + " DELETE w/a=", r5 + " DELETE w/b=");
        assertThat(r4).isEqualTo(r3 + 1);

        // a watch from a past revision replays the history (the unsynced path), then goes live
        try (Watch.Watcher w5 = watch.watch(b("w/"), WatchOption.builder().isPrefix(true).withRevision(r0).build(), past)) {
          long r6 = put(kv, "w/c", "6");
          assertThat(past.awaitCount(6)).containsExactly(r0 + " PUT w/a=0", r1 + " PUT w/a=1", r2 + " PUT w/b=2",
              r3 + " DELETE w/a=", r5 + " DELETE w/b=", r6 + " PUT w/c=6");
        }
      }
      assertThat(m.halted.get()).isNull();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void compactedRevisionFailsAndReconnectResumesFromLastPlusOne(String engine) throws Exception {
    try (TestMember m = TestMember.start(dir, engine, TestMember.freePort());
         Client client = Client.builder().endpoints("http://127.0.0.1:" + m.clients.port(0)).build()) {
      KV kv = client.getKVClient();
      Watch watch = client.getWatchClient();
      List<Long> revs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        revs.add(put(kv, "c/k" + (i % 3), "v" + i));
      }
      long compactAt = revs.get(3);
      kv.compact(compactAt).get(30, TimeUnit.SECONDS);

      Events compacted = new Events();
      try (Watch.Watcher w = watch.watch(b("c/"), WatchOption.builder().isPrefix(true)
          .withRevision(revs.get(1)).build(), compacted)) {
        Throwable t = compacted.error.get(30, TimeUnit.SECONDS);
        assertThat(t).isInstanceOf(CompactedException.class);
        assertThat(((CompactedException) t).getCompactedRevision()).isEqualTo(compactAt);
      }

      // start == the compact revision is still allowed
      Events atCompact = new Events();
      try (Watch.Watcher w = watch.watch(b("c/"), WatchOption.builder().isPrefix(true)
          .withRevision(compactAt).build(), atCompact)) {
        assertThat(atCompact.awaitCount(3)).containsExactly(compactAt + " PUT c/k0=v3",
            revs.get(4) + " PUT c/k1=v4", revs.get(5) + " PUT c/k2=v5");
      }

      // reconnect: the first watcher goes away, writes happen meanwhile, a new one resumes at last + 1
      Events first = new Events();
      long last;
      try (Watch.Watcher w = watch.watch(b("c/"), WatchOption.builder().isPrefix(true)
          .withRevision(revs.get(5) + 1).build(), first)) {
        put(kv, "c/k0", "a");
        long r = put(kv, "c/k1", "b");
        List<String> got = first.await(l -> l.size() >= 2);
        last = Long.parseLong(got.get(got.size() - 1).split(" ")[0]);
        assertThat(last).isEqualTo(r);
      }
      long missed1 = put(kv, "c/k2", "c");
      long missed2 = put(kv, "c/k0", "d");
      Events resumed = new Events();
      try (Watch.Watcher w = watch.watch(b("c/"), WatchOption.builder().isPrefix(true)
          .withRevision(last + 1).build(), resumed)) {
        long live = put(kv, "c/k1", "e");
        assertThat(resumed.awaitCount(3)).containsExactly(missed1 + " PUT c/k2=c", missed2 + " PUT c/k0=d",
            live + " PUT c/k1=e");
      }
      assertThat(m.halted.get()).isNull();
    }
  }
}
