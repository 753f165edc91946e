package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.it.EtcdProcess;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential watch test: real etcd (/usr/bin/etcd) and an in-process Strata member get the same
 * watches on raw {@code WatchGrpc} streams (key, prefix, range, from-key, all keys, past
 * start_revision, prev_kv, NOPUT/NODELETE filters) and the same seeded KV history, including
 * compactions and a watcher that disconnects and resumes from its last revision + 1. Every watch's
 * events (revision, type, key, value, versions, prev_kv) and its created/cancel replies must be
 * identical; header ids are ignored. Replay a run with {@code -Dstrata.seed=N}.
 */
class WatchDifferentialIT {

  @TempDir
  Path dir;

  static List<String> engines() {
    return KvSmokeTest.engines().toList();
  }

  /** One watch, opened the same way on both servers. */
  private record Spec(String name, WatchCreateRequest req, boolean seesPuts, boolean seesDeletes) {}

  /** The watches of one server: a main stream with every spec, and the resuming one. */
  private static final class Side {
    final String name;
    final WatchWire main;
    final Map<String, Long> ids = new LinkedHashMap<>();
    final Map<String, WatchResponse> created = new LinkedHashMap<>();
    final ManagedChannel channel;
    WatchWire resumeFirst;
    WatchWire resumeSecond;

    Side(String name, ManagedChannel channel) {
      this.name = name;
      this.channel = channel;
      this.main = new WatchWire(channel);
    }

    void open(Spec s) {
      WatchResponse r = main.create(s.req());
      ids.put(s.name(), r.getWatchId());
      created.put(s.name(), r);
    }

    /** Waits until every watch saw the fence (the put part if it filters deletes, else the delete). */
    void awaitFence(List<Spec> specs, long[] fence) {
      for (Spec s : specs) {
        main.awaitEventAtLeast(ids.get(s.name()), s.seesDeletes() ? fence[1] : fence[0]);
      }
    }

    List<String> events(Spec s) {
      return WatchWire.describe(WatchWire.events(main.responses(), ids.get(s.name())));
    }
  }

  private static List<Spec> specs(Random rnd, long current) {
    List<Spec> specs = new ArrayList<>();
    specs.add(new Spec("key", WatchWire.watchOf(WatchHistory.key(3), null).build(), true, true));
    specs.add(new Spec("prefix", WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END).build(), true, true));
    specs.add(new Spec("prefix+prevKv", WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
        .setPrevKv(true).build(), true, true));
    specs.add(new Spec("range", WatchWire.watchOf(WatchHistory.key(5), WatchHistory.key(12)).build(), true, true));
    specs.add(new Spec("fromKey", WatchWire.watchOf(WatchHistory.key(10), "\0").build(), true, true));
    specs.add(new Spec("allKeys", WatchWire.watchOf("\0", "\0").build(), true, true));
    specs.add(new Spec("noPut", WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
        .addFilters(WatchCreateRequest.FilterType.NOPUT).build(), false, true));
    specs.add(new Spec("noDelete+prevKv", WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
        .addFilters(WatchCreateRequest.FilterType.NODELETE).setPrevKv(true).build(), true, false));
    long past1 = 1 + rnd.nextInt((int) current);
    long past2 = 1 + rnd.nextInt((int) current);
    specs.add(new Spec("prefix@past" + past1, WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
        .setStartRevision(past1).build(), true, true));
    specs.add(new Spec("key@past" + past2 + "+prevKv", WatchWire.watchOf(WatchHistory.key(7), null)
        .setStartRevision(past2).setPrevKv(true).build(), true, true));
    specs.add(new Spec("prefix@future" + (current + 10), WatchWire.watchOf(WatchHistory.PREFIX,
        WatchHistory.PREFIX_END).setStartRevision(current + 10).setPrevKv(true).build(), true, true));
    specs.add(new Spec("fromKey@1", WatchWire.watchOf(WatchHistory.key(0), "\0").setStartRevision(1).build(), true, true));
    return specs;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("engines")
  void sameEventStreamsAsEtcd(String engine) throws Exception {
    long seed = WatchHistory.seed("WatchDifferentialIT/" + engine);
    try (EtcdProcess etcd = EtcdProcess.start();
         TestMember strata = TestMember.start(dir, engine, TestMember.freePort())) {
      ManagedChannel etcdChannel = NettyChannelBuilder.forAddress("127.0.0.1", etcd.clientPort())
          .usePlaintext().build();
      try {
        run(seed, List.of(new Side("etcd", etcdChannel), new Side("strata-" + engine, strata.channel)));
      } finally {
        etcdChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(strata.halted.get()).isNull();
    }
  }

  private void run(long seed, List<Side> sides) {
    WatchHistory h = new WatchHistory(seed, sides.stream().map(s -> (io.grpc.Channel) s.channel).toList());
    long current = h.randomOps(40);
    List<Spec> specs = specs(h.random(), current);
    for (Side side : sides) {
      specs.forEach(side::open);
      side.resumeFirst = new WatchWire(side.channel);
      side.resumeFirst.create(WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END).setPrevKv(true).build());
    }
    long lastCompact = 0;
    long resumeFrom = 0;
    for (int phase = 0; phase < 4; phase++) {
      h.randomOps(60);
      long[] fence = h.fence();
      for (Side side : sides) {
        side.awaitFence(specs, fence);
        if (phase == 1) {
          // the resuming client saw everything up to the fence, then goes away
          List<WatchResponse> seen = side.resumeFirst.await(
              l -> WatchWire.lastEventRev(l, 0) >= fence[1], "resume stream reaching the fence");
          resumeFrom = WatchWire.lastEventRev(seen, 0) + 1;
          side.resumeFirst.close();
        } else if (phase == 2) {
          side.resumeSecond = new WatchWire(side.channel);
          side.resumeSecond.create(WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
              .setPrevKv(true).setStartRevision(resumeFrom).build());
          side.resumeSecond.awaitEventAtLeast(0, fence[1]);
        }
      }
      if (phase != 1) { // never compact while the resuming client is away
        long at = phase == 3 ? fence[0] : lastCompact + 1 + h.random().nextInt((int) (fence[1] - lastCompact));
        h.compact(at);
        lastCompact = at;
      }
    }
    // after the last compaction: below it is cancelled with compact_revision, at it is replayed
    long live = h.put(WatchHistory.key(1), "after-compaction");
    List<Spec> late = List.of(
        new Spec("compacted@1", WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
            .setStartRevision(1).build(), true, true),
        new Spec("atCompact@" + lastCompact, WatchWire.watchOf(WatchHistory.PREFIX, WatchHistory.PREFIX_END)
            .setStartRevision(lastCompact).build(), true, true));
    for (Side side : sides) {
      late.forEach(side::open);
      long atId = side.ids.get(late.get(1).name());
      side.main.awaitEventAtLeast(atId, live);
      side.resumeSecond.awaitEventAtLeast(0, live);
      long cId = side.ids.get(late.get(0).name());
      side.main.await(l -> l.stream().anyMatch(r -> r.getWatchId() == cId && r.getCanceled()),
          "compaction cancel on " + side.name);
    }
    compare(sides, specs, late, lastCompact);
  }

  private void compare(List<Side> sides, List<Spec> specs, List<Spec> late, long lastCompact) {
    Side etcd = sides.get(0);
    List<Spec> all = new ArrayList<>(specs);
    all.addAll(late);
    for (Side side : sides) {
      for (Spec s : all) {
        List<WatchResponse> mine = side.main.responses().stream()
            .filter(r -> r.getWatchId() == side.ids.get(s.name())).toList();
        assertAtomic(side.name + " " + s.name(), mine);
      }
      // the resumed client's two streams add up to the uninterrupted watch of the same range
      List<Event> resumed = new ArrayList<>(WatchWire.events(side.resumeFirst.responses(), 0));
      resumed.addAll(WatchWire.events(side.resumeSecond.responses(), 0));
      List<String> uninterrupted = side.events(specs.get(2));
      assertThat(WatchWire.describe(resumed)).as(side.name + ": resumed == uninterrupted")
          .isEqualTo(uninterrupted);
    }
    long events = all.stream().mapToLong(s -> etcd.events(s).size()).sum();
    System.out.printf("compared %d watches, %d events each side (etcd vs %s)%n", all.size() + 1, events,
        sides.get(1).name);
    for (Side other : sides.subList(1, sides.size())) {
      for (Spec s : all) {
        assertThat(other.ids.get(s.name())).as(s.name() + " watch_id").isEqualTo(etcd.ids.get(s.name()));
        assertThat(other.created.get(s.name()).getHeader().getRevision()).as(s.name() + " created header revision")
            .isEqualTo(etcd.created.get(s.name()).getHeader().getRevision());
        assertThat(other.events(s)).as(other.name + " vs etcd: events of " + s.name()).isEqualTo(etcd.events(s));
      }
      WatchResponse mine = cancelOf(other, late.get(0));
      WatchResponse theirs = cancelOf(etcd, late.get(0));
      assertThat(mine.getCompactRevision()).isEqualTo(theirs.getCompactRevision()).isEqualTo(lastCompact);
      assertThat(mine.getHeader().getRevision()).as("compaction cancel header revision")
          .isEqualTo(theirs.getHeader().getRevision());
      assertThat(mine.getCancelReason()).isEqualTo(theirs.getCancelReason());
    }
  }

  private static WatchResponse cancelOf(Side side, Spec s) {
    long id = side.ids.get(s.name());
    return side.main.responses().stream().filter(r -> r.getWatchId() == id && r.getCanceled())
        .findFirst().orElseThrow();
  }

  /** etcd's Atomic guarantee: one revision's events never straddle two responses. */
  private static void assertAtomic(String what, List<WatchResponse> rs) {
    long lastRev = -1;
    for (WatchResponse r : rs) {
      if (r.getEventsCount() == 0) {
        continue;
      }
      assertThat(r.getEvents(0).getKv().getModRevision()).as(what + ": revision split across responses")
          .isNotEqualTo(lastRev);
      lastRev = r.getEvents(r.getEventsCount() - 1).getKv().getModRevision();
    }
  }
}
