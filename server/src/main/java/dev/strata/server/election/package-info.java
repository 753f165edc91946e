/**
 * etcd's {@code v3electionpb.Election} service (v3election): Campaign, Proclaim, Leader, Observe and
 * Resign over the in-process {@link dev.strata.server.concurrency.Election} recipe.
 */
package dev.strata.server.election;
