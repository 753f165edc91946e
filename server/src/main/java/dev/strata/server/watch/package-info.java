/**
 * etcd's Watch API core: watchers indexed by key and range, fed live events by the MVCC apply hook,
 * caught up from history when behind, with per-stream backpressure; plus the gRPC Watch service.
 */
package dev.strata.server.watch;
