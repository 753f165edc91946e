/**
 * Apache Ratis integration: one RaftGroup per cluster, the embedded RaftServer and a thin StateMachine
 * adapter that hands committed entries to an {@link dev.strata.server.raft.Applier}. Nothing here knows
 * etcd request semantics.
 */
package dev.strata.server.raft;
