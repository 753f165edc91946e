package dev.strata.server.concurrency;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * {@code Election.Observe} ({@code concurrency/election.go observe}): reports the current leader,
 * then every Put on its key; when that key is deleted, starts over. With no leader it reports the
 * first Put under the prefix, its header revision set to that Put's mod_revision. Runs until the
 * context is cancelled or a watch fails; {@link #done} then completes (exceptionally on failure).
 *
 * <p>Each step is one range or one watch; callbacks of a finished step are ignored (generation
 * check), and all reporting happens under this object's monitor, so reports never overlap.
 */
public final class Observer {

  private final LocalClient client;
  private final CallContext ctx;
  private final ByteString prefix;
  private final BiConsumer<ResponseHeader, KeyValue> report;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  // this object's monitor
  private long generation;
  private LocalClient.Watch watch;

  private Observer(LocalClient client, CallContext ctx, ByteString name, BiConsumer<ResponseHeader, KeyValue> report) {
    this.client = client;
    this.ctx = ctx;
    this.prefix = Election.prefix(name);
    this.report = report;
  }

  /** Starts observing {@code name}; {@code report} gets (header, leader kv) in order. */
  public static Observer start(LocalClient client, CallContext ctx, ByteString name,
      BiConsumer<ResponseHeader, KeyValue> report) {
    Observer o = new Observer(client, ctx, name, report);
    Runnable deregister = ctx.onCancel(() -> o.finish(null));
    o.done.whenComplete((v, e) -> deregister.run());
    o.loop();
    return o;
  }

  public CompletableFuture<Void> done() {
    return done;
  }

  private synchronized void loop() {
    if (done.isDone()) {
      return;
    }
    long gen = ++generation;
    client.range(Ops.firstCreate(prefix)).whenComplete((resp, err) -> {
      synchronized (this) {
        if (gen != generation || done.isDone()) {
          return;
        }
        if (err != null) {
          finish(err);
        } else if (resp.getKvsCount() == 0) {
          awaitFirstPut(resp.getHeader().getRevision());
        } else {
          report.accept(resp.getHeader(), resp.getKvs(0));
          follow(resp.getKvs(0).getKey(), resp.getHeader().getRevision() + 1);
        }
      }
    });
  }

  /** Locked: watches the prefix for the first Put, which becomes the reported leader. */
  private void awaitFirstPut(long fromRev) {
    long gen = ++generation;
    watch = client.watch(WatchCreateRequest.newBuilder().setKey(prefix).setRangeEnd(Ops.prefixEnd(prefix))
        .setStartRevision(fromRev).build(), r -> onPrefix(gen, r));
  }

  private synchronized void onPrefix(long gen, WatchResponse r) {
    if (!current(gen, r)) {
      return;
    }
    for (Event e : r.getEventsList()) {
      if (e.getType() == Event.EventType.PUT) {
        closeWatch();
        KeyValue kv = e.getKv();
        ResponseHeader h = r.getHeader().toBuilder().setRevision(kv.getModRevision()).build();
        report.accept(h, kv);
        follow(kv.getKey(), kv.getModRevision() + 1);
        return;
      }
    }
  }

  /** Locked: watches the leader key; reports its Puts, starts over on its Delete. */
  private void follow(ByteString key, long fromRev) {
    long gen = ++generation;
    watch = client.watch(WatchCreateRequest.newBuilder().setKey(key).setStartRevision(fromRev).build(),
        r -> onLeaderKey(gen, r));
  }

  /**
   * Locked: whether {@code r} belongs to the live watch of this observation; a canceled watch ends the
   * observation.
   */
  private boolean current(long gen, WatchResponse r) {
    if (gen != generation || done.isDone()) {
      return false;
    }
    if (r.getCanceled()) {
      finish(new IllegalStateException("watch canceled: " + r.getCancelReason()));
      return false;
    }
    return true;
  }

  private synchronized void onLeaderKey(long gen, WatchResponse r) {
    if (!current(gen, r)) {
      return;
    }
    for (Event e : r.getEventsList()) {
      if (e.getType() == Event.EventType.DELETE) {
        closeWatch();
        loop();
        return;
      }
      report.accept(r.getHeader(), e.getKv());
    }
  }

  private void closeWatch() {
    if (watch != null) {
      watch.close();
      watch = null;
    }
  }

  /** Ends observing: {@code err} null for a cancelled context. */
  private synchronized void finish(Throwable err) {
    generation++;
    closeWatch();
    if (err == null) {
      done.complete(null);
    } else {
      done.completeExceptionally(err);
    }
  }
}
