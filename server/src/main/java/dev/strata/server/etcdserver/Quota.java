package dev.strata.server.etcdserver;

import dev.strata.backend.Backend;
import dev.strata.server.EtcdError;

/**
 * etcd's backend quota ({@code server/etcdserver/quota.go}): a Put, a writing Txn or a LeaseGrant whose
 * cost would take the backend to the quota fails with "database space exceeded", before any other
 * check. The size comes from {@code Backend.stats()}, sampled at most every {@link #SAMPLE_NANOS} so the
 * check stays off the hot path. Raising the NOSPACE alarm through Raft comes with the alarm work.
 */
final class Quota {

  private static final long SAMPLE_NANOS = 100_000_000L;

  private final Backend backend;
  private final long quotaBytes;
  private volatile long sampledAt = System.nanoTime() - 2 * SAMPLE_NANOS;
  private volatile long size;

  Quota(Backend backend, long quotaBytes) {
    this.backend = backend;
    this.quotaBytes = quotaBytes;
  }

  void check(long cost) {
    if (cost == 0) {
      return;
    }
    long now = System.nanoTime();
    if (now - sampledAt > SAMPLE_NANOS) {
      size = backend.stats().bytesOnDisk();
      sampledAt = now;
    }
    if (size + cost >= quotaBytes) {
      throw EtcdError.NO_SPACE.exception();
    }
  }
}
