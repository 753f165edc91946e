package dev.strata.server.concurrency;

import java.util.concurrent.CompletableFuture;

/**
 * etcd's v3lock/v3election sessions: {@code NewSession(WithLease(lease))} followed at once by
 * {@code Orphan()}, so nothing keeps the lease alive. With lease 0 a fresh lease of the default TTL
 * is granted (and left to expire); any other id is used as given, unchecked: a missing lease shows up
 * when the session's key is put ("etcdserver: requested lease not found").
 */
final class Session {

  /** {@code concurrency.defaultSessionTTL}. */
  static final long DEFAULT_TTL_SECONDS = 60;

  private Session() {}

  static CompletableFuture<Long> lease(LocalClient client, long lease) {
    return lease == 0 ? client.grant(DEFAULT_TTL_SECONDS) : CompletableFuture.completedFuture(lease);
  }
}
