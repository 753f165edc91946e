/**
 * etcd's client-side {@code concurrency} recipes (sessions, mutex, election, wait-for-deletes) run
 * in-process over this member's KV, Watch and Lease, as etcd's v3lock and v3election servers run them.
 */
package dev.strata.server.concurrency;
