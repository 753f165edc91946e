package dev.strata.server.mvcc;

import io.etcd.jetcd.api.Event;
import java.util.List;

/**
 * The lessor's view of key writes (etcd's kvstore calling {@code lessor.Attach/Detach} inside the
 * write txn): a PUT attaches its key to {@code kv.lease} (0 detaches it), a DELETE detaches its key.
 * Registered with {@link MvccStore#setLeaseAttachments}.
 */
@FunctionalInterface
public interface LeaseAttachments {

  /**
   * Called on the apply thread, under the store's write lock, once per new revision, before readers
   * see it. Must be quick and must not call back into the store.
   *
   * @param events the revision's changes in sub-revision order (the same list the watch hook gets);
   *     must not be modified
   */
  void onChanges(List<Event> events);
}
