package dev.strata.server.raft;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thin Ratis adapter. The store itself is the snapshot (ARCHITECTURE "Durability invariant"): the
 * applied (term, index) lives in the store's META bucket, written in the same batch as the data, so
 * {@link #initialize} resumes from it with no snapshot files, and {@link #takeSnapshot} only makes the
 * store durable and reports that index, which lets Ratis purge the log below it.
 *
 * <p>Lagging followers get an install-snapshot <em>notification</em> (Ratis' file transfer is off): the
 * transfer of the leader's engine checkpoint is a {@link SnapshotInstaller}'s job.
 */
final class StrataStateMachine extends BaseStateMachine {

  private static final Logger LOG = LoggerFactory.getLogger(StrataStateMachine.class);

  private final Applier applier;
  private final Halt halt;
  private final SnapshotInstaller installer;
  private volatile SnapshotInfo latestSnapshot;
  private volatile Function<byte[], CompletableFuture<byte[]>> queryHandler;
  private volatile Runnable onConfigurationChanged = () -> {};
  /** Set by {@link RaftNode#close}: any other close of the state machine is Ratis giving up. */
  private volatile boolean closeExpected;
  private volatile Function<byte[], CompletableFuture<byte[]>> memberQueryHandler;

  StrataStateMachine(Applier applier, Halt halt, SnapshotInstaller installer) {
    this.applier = applier;
    this.halt = halt;
    this.installer = installer;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    super.initialize(server, groupId, storage);
    TermIndex applied = TermIndex.valueOf(applier.appliedTerm(), applier.appliedIndex());
    // Ratis starts the log after the snapshot index and applies from there. A fresh store reports
    // term 0 (every real entry has a term >= 1; indexes start at 0): no snapshot.
    latestSnapshot = applied.getTerm() > 0 ? new StoreSnapshot(applied) : null;
    setLastAppliedTermIndex(applied);
    // pause() and Ratis' reload after a snapshot install check the life cycle: it must run
    getLifeCycle().transition(LifeCycle.State.STARTING);
    getLifeCycle().transition(LifeCycle.State.RUNNING);
    LOG.info("state machine initialized: appliedIndex={} appliedTerm={}", applied.getIndex(), applied.getTerm());
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return latestSnapshot;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    try {
      applier.apply(entry.getTerm(), entry.getIndex(),
          entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
    } catch (Throwable t) {
      halt.halt("apply failed at index " + entry.getIndex(), t);
      return CompletableFuture.failedFuture(t);
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    // Responses travel to the waiting calls directly (etcdserver's waiters), not through Ratis' reply.
    return CompletableFuture.completedFuture(Message.EMPTY);
  }

  @Override
  public long takeSnapshot() {
    try {
      long durable = applier.sync();
      TermIndex last = getLastAppliedTermIndex();
      // The store may be behind Ratis' applied index by metadata entries only; report what it holds.
      TermIndex ti = durable == last.getIndex() ? last : TermIndex.valueOf(applier.appliedTerm(), durable);
      latestSnapshot = new StoreSnapshot(ti);
      LOG.info("snapshot taken: durableIndex={}", durable);
      return durable;
    } catch (Throwable t) {
      halt.halt("sync for snapshot failed", t);
      throw t;
    }
  }

  void expectClose() {
    closeExpected = true;
  }

  /**
   * Ratis closes the state machine when its division closes. Unasked (e.g. its log worker failed),
   * the member would linger without Raft, serving stale reads: stop it instead, as etcd would.
   */
  @Override
  public void close() throws IOException {
    super.close();
    if (!closeExpected) {
      halt.halt("raft group closed unexpectedly", new IllegalStateException("raft division closed"));
    }
  }

  /** Runs after every configuration entry applied here (peer addresses may have moved). */
  void setOnConfigurationChanged(Runnable listener) {
    this.onConfigurationChanged = listener;
  }

  @Override
  public void notifyConfigurationChanged(long term, long index,
      org.apache.ratis.proto.RaftProtos.RaftConfigurationProto newRaftConfiguration) {
    onConfigurationChanged.run();
  }

  /** Answers non-empty queries (lease calls forwarded by followers, see {@link RaftNode#queryLeader}). */
  void setQueryHandler(Function<byte[], CompletableFuture<byte[]>> handler) {
    this.queryHandler = handler;
  }

  /** Answers membership queries (joiners, promote checks): the bytes after the 0x00 marker. */
  void setMemberQueryHandler(Function<byte[], CompletableFuture<byte[]>> handler) {
    this.memberQueryHandler = handler;
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    // An empty message is the linearizable read barrier: Ratis calls it once applied >= read index.
    if (request.getContent().isEmpty()) {
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    // a leading 0x00 byte (never the first byte of a protobuf message) marks a membership query
    boolean member = request.getContent().byteAt(0) == 0;
    Function<byte[], CompletableFuture<byte[]>> h = member ? memberQueryHandler : queryHandler;
    if (h == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("no query handler yet"));
    }
    return h.apply(request.getContent().toByteArray())
        .thenApply(bytes -> Message.valueOf(ByteString.copyFrom(bytes)));
  }

  @Override
  public CompletableFuture<Message> queryStale(Message request, long minIndex) {
    return query(request);
  }

  @Override
  public void pause() {
    // Ratis requires PAUSING -> PAUSED before it reinitializes after a snapshot install.
    LifeCycle lc = getLifeCycle();
    if (lc.getCurrentState() == LifeCycle.State.RUNNING) {
      lc.transition(LifeCycle.State.PAUSING);
      lc.transition(LifeCycle.State.PAUSED);
    }
  }

  /**
   * Ratis' notification mode: the leader purged the entries this member needs. Runs the transfer
   * asynchronously while this member keeps applying what its log still has; when the future completes,
   * Ratis (at the leader's next notification) calls {@link #pause} and then, on the apply thread,
   * {@link #reinitialize}, where the snapshot becomes the live state.
   */
  @Override
  public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo,
      TermIndex firstTermIndexInLog) {
    // Ratis notifies every bootstrapping peer (a member being added) once, whenever the leader has a
    // snapshot, even if its log still holds everything the peer needs. Answering null ("no snapshot")
    // makes the leader mark the attempt and catch the peer up from the log.
    if (firstTermIndexInLog.getIndex() <= applier.appliedIndex() + 1) {
      LOG.info("leader offers a snapshot but its log reaches back far enough: leaderFirstLogIndex={} appliedIndex={}",
          firstTermIndexInLog.getIndex(), applier.appliedIndex());
      return CompletableFuture.completedFuture(null);
    }
    LOG.warn("leader asks for a snapshot install: leader={} leaderFirstLogIndex={} appliedIndex={}",
        roleInfo.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8(),
        firstTermIndexInLog.getIndex(), applier.appliedIndex());
    return installer.install(this::currentLeader, firstTermIndexInLog.getIndex())
        .thenApply(p -> TermIndex.valueOf(p.term(), p.index()));
  }

  /** The leader this member follows now (0 = none): a retried transfer asks the new one. */
  private long currentLeader() {
    try {
      RaftPeerId leader = getServer().join().getDivision(getGroupId()).getInfo().getLeaderId();
      return leader == null ? 0 : Long.parseUnsignedLong(leader.toString(), 16);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Ratis' reload after a snapshot install (StateMachineUpdater thread = the apply thread, so nothing
   * applies meanwhile; {@link #pause} ran first): swap the installed snapshot in, then report it as the
   * latest snapshot and the applied position, from which Ratis resumes the log.
   */
  @Override
  public void reinitialize() throws IOException {
    try {
      installer.reload();
    } catch (Throwable t) {
      halt.halt("snapshot reload failed", t);
      throw new IOException("snapshot reload failed", t);
    }
    TermIndex applied = TermIndex.valueOf(applier.appliedTerm(), applier.appliedIndex());
    latestSnapshot = new StoreSnapshot(applied);
    setLastAppliedTermIndex(applied);
    LifeCycle lc = getLifeCycle();
    lc.transition(LifeCycle.State.STARTING);
    lc.transition(LifeCycle.State.RUNNING);
    LOG.info("snapshot installed: appliedIndex={} appliedTerm={}", applied.getIndex(), applied.getTerm());
  }

  /** The store as a snapshot: only a (term, index), no files. */
  private record StoreSnapshot(TermIndex termIndex) implements SnapshotInfo {
    @Override
    public TermIndex getTermIndex() {
      return termIndex;
    }

    @Override
    public List<FileInfo> getFiles() {
      return List.of();
    }
  }
}
