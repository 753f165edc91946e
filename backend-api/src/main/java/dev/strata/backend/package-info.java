/**
 * The storage-engine seam (SPI) of Strata: every engine implements {@link dev.strata.backend.Backend}
 * and is found through {@link dev.strata.backend.BackendFactory} with {@link java.util.ServiceLoader}.
 * Nothing engine-shaped crosses it: keys and values are byte arrays, sizes are estimates each engine defines.
 */
package dev.strata.backend;
