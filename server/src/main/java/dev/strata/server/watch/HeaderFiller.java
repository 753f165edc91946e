package dev.strata.server.watch;

import io.etcd.jetcd.api.ResponseHeader;

/**
 * Builds the header of every watch response: cluster_id, member_id, raft_term and the given revision.
 * Called on the watch send threads, so it must be thread-safe and cheap.
 */
@FunctionalInterface
public interface HeaderFiller {

  /**
   * @param revision the response's revision, used as given: 0 is meaningful (etcd sends a compaction
   *     cancel with header revision 0), so it must not be replaced by the current revision
   */
  ResponseHeader header(long revision);

  /** Headers with only the revision: for tests and tools without a Raft identity. */
  static HeaderFiller revisionOnly() {
    return rev -> ResponseHeader.newBuilder().setRevision(rev).build();
  }
}
