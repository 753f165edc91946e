/**
 * etcd's server layer: request admission (validation and limits in etcd's order), proposal batching into
 * Raft entries, applying committed batches to MVCC and completing the waiting calls, and the coalesced
 * linearizable read barrier.
 */
package dev.strata.server.etcdserver;
