package dev.strata.server.raft;

import dev.strata.server.config.ServerConfig;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** Ratis properties for a member; each departure from Ratis' defaults says why. */
final class RaftProps {

  /** Closed log segments Ratis keeps on the heap (see {@link #of}). */
  static final int CACHED_CLOSED_SEGMENTS = 0;

  private RaftProps() {}

  static RaftProperties of(ServerConfig cfg, Path storageDir, String bindHost, int bindPort) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(storageDir.toFile()));
    GrpcConfigKeys.Server.setHost(p, bindHost);
    GrpcConfigKeys.Server.setPort(p, bindPort);

    // Ratis' 150-300 ms default elects on every long GC pause; etcd's default is 1 s (ratis.md).
    long min = cfg.electionTimeoutMin().toMillis();
    long max = cfg.electionTimeoutMax().toMillis();
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(min, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(max, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(max + 1000, TimeUnit.MILLISECONDS));
    // A single member need not wait a full timeout before its first election.
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(50, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(150, TimeUnit.MILLISECONDS));

    // Linearizable reads through ReadIndex on leader and followers (ARCHITECTURE "Reads").
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setTimeout(p, TimeDuration.valueOf(cfg.requestTimeout().toMillis(), TimeUnit.MILLISECONDS));

    // The log is the write-ahead log: keep Ratis' fsync (no unsafe/async flush).
    RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, false);
    RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);
    // Ratis appends a METADATA entry (the commit index) after commits: under sequential writes every
    // other index, doubling appends and fsyncs. We do not need it: after a restart the member applies
    // the log once the leader commits in its term, and serves only after that (awaitReady).
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    // One entry may be a full batch or one request of --max-request-bytes: size the buffers for it.
    long maxEntry = Math.max(RaftNode.MAX_BATCH_BYTES, cfg.maxRequestBytes()) + 64 * 1024;
    SizeInBytes twoEntries = SizeInBytes.valueOf(Math.max(8L << 20, 2 * maxEntry));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, twoEntries);
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(Math.max(4L << 20, 2 * maxEntry)));
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(64L << 20, 4 * maxEntry)));

    // Snapshots = "the store is durable up to here" (takeSnapshot syncs the engine); purge the log
    // only up to that index, never past what the engine holds durably.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, cfg.snapshotCount());
    RaftServerConfigKeys.Snapshot.setCreationGap(p, Math.min(1024, cfg.snapshotCount()));
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, cfg.snapshotCount()));
    // Keep some entries behind the snapshot so that a briefly lagging follower catches up from the log
    // instead of needing a full store transfer (etcd's --experimental-snapshot-catchup-entries, 5000).
    RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, cfg.snapshotCatchUpEntries());
    // Ratis purges only whole closed log segments: with its 32 MB default a member with a small
    // --snapshot-count would never purge (and a lagging follower never need a snapshot) until 32 MB of
    // log piled up. Size segments from the snapshot interval (~256 B per entry), but not below 1 MiB:
    // each roll is a file rename, and a roll racing a snapshot install's log reset kills Ratis' log
    // worker (seen with tiny segments; SegmentedRaftLog.onSnapshotInstalled takes no write lock).
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segmentSizeMax(cfg.snapshotCount())));
    // Keep only the open segment's entries on the heap. Ratis' default also keeps six closed segments
    // (up to 200 MB): every write stayed live until then, so G1 copied it into the old generation and
    // collected it there (~130 MB of a member's ~230 MB live heap in a 3-member `check perf l`). The
    // applier and the appenders read entries while they are in the open segment; a follower that lags
    // further is sent entries read back from the segment files, and Ratis evicts nothing that is not
    // yet applied and sent to every follower.
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, CACHED_CLOSED_SEGMENTS);
    // Ratis' own file-based snapshot transfer cannot ship an engine checkpoint: notification mode.
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
    return p;
  }

  /** Log segment size for {@code snapshotCount}: 256 B per entry, within [1 MiB, Ratis' 32 MiB default]. */
  static long segmentSizeMax(long snapshotCount) {
    long perInterval = snapshotCount > (32L << 20) / 256 ? 32L << 20 : snapshotCount * 256;
    return Math.max(1L << 20, Math.min(32L << 20, perInterval));
  }

  static File storageDir(Path dataDir) {
    return dataDir.resolve("member").resolve("raft").toFile();
  }
}
