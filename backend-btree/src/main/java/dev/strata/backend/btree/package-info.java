/**
 * The btree engine: Strata's {@link dev.strata.backend.Backend} on LMDB (lmdbjava), one named database
 * per {@link dev.strata.backend.Bucket} in one environment; found as "btree" through
 * {@link dev.strata.backend.btree.BtreeBackendFactory}. Everything else here is package-private.
 */
package dev.strata.backend.btree;
