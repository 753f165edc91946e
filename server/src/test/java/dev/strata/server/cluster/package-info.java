/**
 * Multi-member integration tests: real Strata processes on loopback forming one cluster (membership,
 * leadership transfer, failover), launched by {@link dev.strata.server.cluster.LocalCluster}.
 */
package dev.strata.server.cluster;
