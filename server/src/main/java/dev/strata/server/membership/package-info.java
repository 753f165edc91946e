/**
 * Cluster membership: the replicated member attributes (names, client URLs; MEMBERS bucket) and
 * etcd's Cluster service, answered from them and from the Ratis configuration.
 */
package dev.strata.server.membership;
