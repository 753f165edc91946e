/**
 * JMH benchmarks of the storage engines through the Backend SPI, so btree and lsm are measured by the
 * same code. Run with {@code bin/strata-jmh}; results go to docs/benchmarks.md.
 */
package dev.strata.bench.jmh;
