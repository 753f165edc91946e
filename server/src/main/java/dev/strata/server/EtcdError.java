package dev.strata.server;

import io.grpc.Status;

/**
 * etcd's client-visible errors: the exact message (clients match on it byte for byte, see etcd's
 * {@code api/v3rpc/rpctypes/error.go}) and the gRPC code it travels with.
 */
public enum EtcdError {
  KEY_NOT_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided"),
  KEY_NOT_FOUND(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found"),
  VALUE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided"),
  LEASE_PROVIDED(Status.Code.INVALID_ARGUMENT, "etcdserver: lease is provided"),
  TOO_MANY_OPS(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request"),
  DUPLICATE_KEY(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request"),
  REQUEST_TOO_LARGE(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large"),
  /** etcd 3.6's answer to an unknown sort target, on which 3.4/3.5 crash. */
  INVALID_SORT_OPTION(Status.Code.INVALID_ARGUMENT, "etcdserver: invalid sort option"),
  COMPACTED(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted"),
  FUTURE_REV(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision"),
  NO_SPACE(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"),
  LEASE_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"),
  LEASE_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists"),
  LEASE_TTL_TOO_LARGE(Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL"),
  NO_LEADER(Status.Code.UNAVAILABLE, "etcdserver: no leader"),
  NOT_LEADER(Status.Code.FAILED_PRECONDITION, "etcdserver: not leader"),
  MEMBER_NOT_FOUND(Status.Code.NOT_FOUND, "etcdserver: member not found"),
  UNHEALTHY_CLUSTER(Status.Code.UNAVAILABLE, "etcdserver: unhealthy cluster"),
  MEMBER_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: member ID already exist"),
  PEER_URL_EXIST(Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists"),
  MEMBER_BAD_URLS(Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid"),
  MEMBER_NOT_LEARNER(Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member"),
  LEARNER_NOT_READY(Status.Code.FAILED_PRECONDITION,
      "etcdserver: can only promote a learner member which is in sync with leader"),
  TOO_MANY_LEARNERS(Status.Code.FAILED_PRECONDITION, "etcdserver: too many learner members in cluster"),
  /** etcd's ErrNotEnoughStartedMembers is not in togRPCError's table: it reaches clients as UNKNOWN. */
  NOT_ENOUGH_STARTED(Status.Code.UNKNOWN,
      "etcdserver: re-configuration failed due to not enough started members"),
  RPC_NOT_SUPPORTED_FOR_LEARNER(Status.Code.UNAVAILABLE, "etcdserver: rpc not supported for learner"),
  BAD_LEADER_TRANSFEREE(Status.Code.FAILED_PRECONDITION, "etcdserver: bad leader transferee"),
  LEADER_TRANSFER_TIMEOUT(Status.Code.UNKNOWN,
      "etcdserver: request timed out, leader transfer took too long"),
  LEADER_CHANGED(Status.Code.UNAVAILABLE, "etcdserver: leader changed"),
  STOPPED(Status.Code.UNAVAILABLE, "etcdserver: server stopped"),
  TIMEOUT(Status.Code.UNAVAILABLE, "etcdserver: request timed out"),
  /**
   * Not an etcd error but Go's {@code context.DeadlineExceeded}, which etcd 3.4's {@code togRPCError}
   * passes through raw and grpc-go 1.26 sends as UNKNOWN: what a proposal gets when no leader took it
   * before the request timeout (it waits in raft's proposal channel). Measured on 3.4.23.
   */
  CONTEXT_DEADLINE_EXCEEDED(Status.Code.UNKNOWN, "context deadline exceeded"),
  TOO_MANY_REQUESTS(Status.Code.UNKNOWN, "etcdserver: too many requests");

  private final Status.Code code;
  private final String message;

  EtcdError(Status.Code code, String message) {
    this.code = code;
    this.message = message;
  }

  public Status.Code code() {
    return code;
  }

  public String message() {
    return message;
  }

  /** The gRPC status a handler returns for this error. */
  public Status status() {
    return Status.fromCode(code).withDescription(message);
  }

  /** An exception carrying this error, to throw from validation or apply. */
  public EtcdException exception() {
    return new EtcdException(this);
  }
}
