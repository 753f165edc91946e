/**
 * The {@code lsm} storage engine: RocksDB (rocksdbjni) behind Strata's Backend SPI, WAL disabled
 * because the Raft log is the write-ahead log; {@link dev.strata.backend.lsm.LsmBackendFactory} is
 * the only public type.
 *
 * <h2>Why one column family with bucket prefixes, not a column family per bucket</h2>
 * Without a WAL, whatever was in memtables at a crash is lost and the database reopens to the last
 * flushed SST files. The SPI promises that the recovered state is a prefix of the committed batches
 * with no partial batch. In one column family that holds by construction: RocksDB switches memtables
 * only between write batches, so a batch is in exactly one memtable and every flush ends on a batch
 * boundary; recovery is always a batch prefix. With a column family per bucket, each family flushes
 * on its own and a crash can keep one bucket's half of a batch but not the other's (RocksDB issue
 * #11841 calls this a valid recovery). {@code atomic_flush} would fix that, but it flushes every
 * family together (many small L0 files, more write amplification for rarely written buckets such as
 * AUTH or MEMBERS), forces {@code min_write_buffer_number_to_merge} to 1, and has a history of
 * WAL-less recovery bugs (#11148, #10773, #11872). The prefix byte costs one byte per key and a
 * bucket-bounded {@code iterate_upper_bound} on every cursor.
 *
 * <h2>Durability</h2>
 * {@code commit} writes one native WriteBatch with {@code disableWAL=true}: visible at once, durable
 * only after {@code sync()}, which flushes the memtable and waits until its SST files and the
 * MANIFEST are synced. Data committed after the last flush is absent after kill -9 or power loss;
 * Raft replays it from {@code consistent_index}, stored in META in the same batch as the data.
 */
package dev.strata.backend.lsm;
