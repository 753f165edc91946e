/**
 * etcd's {@code v3lockpb.Lock} service (v3lock): Lock and Unlock over the in-process
 * {@link dev.strata.server.concurrency.Mutex} recipe.
 */
package dev.strata.server.lock;
