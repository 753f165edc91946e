/**
 * The gRPC etcd API (KV, Maintenance subset) on grpc-java/netty over jetcd-grpc's stubs: translates calls
 * into {@link dev.strata.server.etcdserver.EtcdServer} operations and errors into etcd's gRPC statuses.
 */
package dev.strata.server.api;
