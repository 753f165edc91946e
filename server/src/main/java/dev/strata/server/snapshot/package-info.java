/**
 * Snapshot catch-up for a member that fell behind the leader's purged Raft log (Ratis notification
 * mode, our own transfer). The transfer is <em>logical</em> — (bucket, key, value) triples read from
 * one leader read view — so it works between members running different engines; the follower writes
 * them into a fresh backend of its own engine, checks the engine-independent {@code CanonicalHash}
 * against the leader's, and swaps it in crash-safely ({@link dev.strata.server.snapshot.BackendSwap}).
 */
package dev.strata.server.snapshot;
