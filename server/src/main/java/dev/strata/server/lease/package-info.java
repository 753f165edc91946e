/**
 * etcd's leases: the lessor (lease table, key attachments, leader-only expiry, checkpoints), their
 * Raft apply (grant, revoke, checkpoint into the LEASE bucket and MVCC) and the server-side operations
 * the Lease service and Lock/Election sessions call ({@link dev.strata.server.lease.LeaseServer}).
 */
package dev.strata.server.lease;
