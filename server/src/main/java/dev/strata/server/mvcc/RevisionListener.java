package dev.strata.server.mvcc;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * Receives, from the apply thread, the events of every revision the store creates (the watch hook,
 * etcd's {@code watchableStore.notify}). Registered with {@link MvccStore#setRevisionListener}.
 */
@FunctionalInterface
public interface RevisionListener {

  /**
   * Called once per new revision, in revision order, after the write is visible to readers and before
   * the next write starts. Requests that change nothing (a delete of nothing, a compaction, a
   * read-only txn) create no revision and are not published.
   *
   * @param revision the new store revision
   * @param events that revision's changes in sub-revision (txn op) order: PUT with the stored kv,
   *     DELETE with a kv of only {@code key} and {@code mod_revision}; never empty, unmodifiable,
   *     owned by the listener
   */
  void onRevision(long revision, List<Event> events);
}
