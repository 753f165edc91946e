/**
 * Cluster membership: the replicated member table (MEMBERS / MEMBERS_REMOVED), etcd's Cluster service
 * over it, the leader's reconciler that moves the Ratis configuration after it, joining a running cluster,
 * and the learner restrictions.
 */
package dev.strata.server.membership;
