/**
 * The etcd-compatible Strata server: gRPC API, Raft (Apache Ratis), apply path and MVCC.
 * This package holds what every layer shares: etcd's client-visible errors.
 */
package dev.strata.server;
