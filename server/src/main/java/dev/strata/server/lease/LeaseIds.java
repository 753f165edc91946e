package dev.strata.server.lease;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lease ids for Grant with ID 0, laid out like etcd's {@code pkg/idutil} request ids: the member id's
 * low 16 bits, then a 40-bit millisecond timestamp taken at start, then an 8-bit counter that carries
 * into the timestamp; the top bit cleared so ids are positive. Unique across members (prefix) and
 * restarts (the timestamp moves on faster than 256 ids per ms are drawn).
 */
final class LeaseIds {

  private static final int TS_BITS = 40;
  private static final int COUNT_BITS = 8;
  private static final long LOW_MASK = (1L << (TS_BITS + COUNT_BITS)) - 1;

  private final long prefix;
  private final AtomicLong suffix;

  LeaseIds(long memberId, long nowMillis) {
    this.prefix = (memberId & 0xffffL) << (TS_BITS + COUNT_BITS);
    this.suffix = new AtomicLong((nowMillis & ((1L << TS_BITS) - 1)) << COUNT_BITS);
  }

  /** The next id; never 0, never negative. */
  long next() {
    while (true) {
      long id = (prefix | (suffix.incrementAndGet() & LOW_MASK)) & Long.MAX_VALUE;
      if (id != 0) {
        return id;
      }
    }
  }
}
