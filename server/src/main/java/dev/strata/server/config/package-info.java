/**
 * The {@code strata} command line: etcd's flag names, defaults and ETCD_/STRATA_ environment variables,
 * turned into one validated {@link dev.strata.server.config.ServerConfig}, plus the etcd-style member and
 * cluster identities derived from it.
 */
package dev.strata.server.config;
