/**
 * etcd's MVCC layer over the Backend SPI: revisions, the in-memory key index, range/put/delete/txn/
 * compact with etcd 3.4/3.5 semantics, and HashKV. One apply thread writes; any thread reads.
 */
package dev.strata.server.mvcc;
