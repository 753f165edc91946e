package dev.strata.server.raft;

import dev.strata.server.config.ClusterIdentity;
import dev.strata.server.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member's embedded Ratis server in the cluster's single RaftGroup. Entries are submitted in-process
 * ({@link RaftServer#submitClientRequestAsync}: no client gRPC hop, ratis.md); on a follower they are
 * forwarded to the leader through a {@link RaftClient}.
 */
public final class RaftNode implements AutoCloseable {

  /**
   * Bytes of requests the proposer packs into one entry; an entry may also be one request of up to
   * --max-request-bytes. Ratis' buffers are sized from both.
   */
  public static final int MAX_BATCH_BYTES = 1 << 20;

  private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
  /** Retry pause while the leader is not ready yet (first entries after an election). */
  private static final long RETRY_MS = 10;
  /** Pause between the forwarding client's attempts (leader unknown, unreachable, or not ready). */
  private static final long FORWARD_RETRY_MS = 100;

  private final RaftServer server;
  private final RaftGroup group;
  private final RaftProperties properties;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final ScheduledExecutorService retries;
  private final Duration timeout;
  private final LeaderContact contact;
  private final ProposalForwarding forwarding;
  private final long leaderSilenceLimitNanos;
  private volatile RaftClient forwarder;
  private final CommitIndexPull pull;
  private final AtomicLong lastReconnect = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));

  private RaftNode(RaftServer server, RaftGroup group, RaftProperties properties, Duration timeout,
      LeaderContact contact, ProposalForwarding forwarding, Duration leaderSilenceLimit) {
    this.server = server;
    this.forwarding = forwarding;
    this.group = group;
    this.properties = properties;
    this.timeout = timeout;
    this.contact = contact;
    this.leaderSilenceLimitNanos = leaderSilenceLimit.toNanos();
    this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "strata-raft-retry");
      t.setDaemon(true);
      return t;
    });
    this.pull = new CommitIndexPull(this::appliedIndex, this::readIndex, retries);
  }

  /** Starts the member's Raft server over {@code <data-dir>/member/raft}, recovering its log if any. */
  public static RaftNode start(ServerConfig cfg, ClusterIdentity ids, Applier applier, Halt halt,
      SnapshotInstaller installer) throws IOException {
    List<RaftPeer> peers = new ArrayList<>();
    for (ClusterIdentity.Member m : ids.members().values()) {
      if (ids.joined() && m.id() == ids.memberId()) {
        continue; // a joiner starts outside the configuration: the leader adds it (Ratis staging)
      }
      URI u = m.peerUrls().get(0);
      peers.add(RaftPeer.newBuilder().setId(m.hexId()).setAddress(u.getHost() + ":" + u.getPort()).build());
    }
    RaftGroup group = RaftGroup.valueOf(RaftGroupId.valueOf(ids.raftGroupId()), peers);
    URI listen = cfg.listenPeerUrls().get(0);
    RaftProperties props = RaftProps.of(cfg, RaftProps.storageDir(cfg.dataDir()).toPath(), listen.getHost(), listen.getPort());
    LeaderContact contact = new LeaderContact();
    ProposalForwarding forwarding = new ProposalForwarding(contact, GrpcConfigKeys.messageSizeMax(props, s -> { })
        .getSizeInt());
    Parameters parameters = new Parameters();
    GrpcConfigKeys.Server.setServicesCustomizer(parameters, forwarding);
    RaftServer server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(Long.toHexString(ids.memberId())))
        // Ratis requires a server to be in the group it is built with: a joiner starts with the group's
        // id only and takes the configuration from the leader's log ("start with initializing state")
        .setGroup(ids.joined() ? RaftGroup.valueOf(group.getGroupId()) : group)
        .setProperties(props)
        .setParameters(parameters)
        .setStateMachine(new StrataStateMachine(applier, halt, installer))
        // FORMAT refuses an existing dir; RECOVER opens it, or creates it on first start (ratis.md).
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    server.start();
    LOG.info("raft started: peerId={} group={} peers={} storage={}", Long.toHexString(ids.memberId()),
        group.getGroupId().getUuid(), peers.size(), RaftProps.storageDir(cfg.dataDir()));
    RaftNode node = new RaftNode(server, group, props, cfg.requestTimeout(), contact, forwarding,
        cfg.electionTimeoutMax());
    ((StrataStateMachine) node.division().getStateMachine()).setOnConfigurationChanged(node::refreshPeerAddresses);
    node.refreshPeerAddresses();
    return node;
  }

  /**
   * Replicates one entry (an encoded {@code Batch}); completes once it is applied on the member that
   * committed it (locally on the leader), with its log index. Fails with the Ratis exception if it could
   * not be committed. A follower hands it to the leader's proposer ({@link ProposalForwarding}), which
   * puts its requests into the leader's next entry: the index is that entry's.
   */
  public CompletableFuture<Long> replicate(byte[] entry) {
    CompletableFuture<Long> result = new CompletableFuture<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    RaftPeerId leader = leaderIfFollower();
    String address = leader == null ? null : addressOf(leader).orElse(null);
    if (address == null) {
      submit(Message.valueOf(ByteString.copyFrom(entry)), deadline, result);
      return result;
    }
    forwarding.forward(address, entry, timeout.toNanos()).whenComplete((index, err) -> {
      if (err == null) {
        result.complete(index);
        pull.acknowledged(index);
      } else if (ProposalForwarding.notTaken(err)) {
        LOG.debug("leader did not take a forwarded batch, proposing it again: {}", err.toString());
        submit(Message.valueOf(ByteString.copyFrom(entry)), deadline, result);
      } else {
        // It may have reached the leader's entry, so it is not proposed again: its outcome is unknown,
        // which etcd reports as a timeout.
        result.completeExceptionally(new java.util.concurrent.TimeoutException(
            "forwarding to the leader failed: " + err.getMessage()));
      }
    });
    return result;
  }

  /**
   * Leader side of forwarding: {@code taker} queues a follower's encoded batch for this member's next
   * entry and completes with that entry's index once applied here; it throws if it refuses the batch.
   */
  public void takeForwarded(java.util.function.Function<byte[], CompletableFuture<Long>> taker) {
    forwarding.serve(() -> division().getInfo().isLeader(), taker);
  }

  private void submit(Message msg, long deadline, CompletableFuture<Long> result) {
    RaftPeerId leader = leaderIfFollower();
    if (leader != null) {
      // a follower that knows the leader skips the local attempt (a NotLeaderException per entry)
      forward(msg, leader, result);
      return;
    }
    submitLocally(newRequest(msg, RaftClientRequest.writeRequestType()), result, (r, failure) -> {
      if (failure == null) {
        result.complete(r.getLogIndex());
      } else if (failure instanceof NotLeaderException nle && nle.getSuggestedLeader() != null
          && leaderIfFollower() != null) {
        forward(msg, nle.getSuggestedLeader().getId(), result);
      } else if ((retryable(failure) || failure instanceof NotLeaderException) && System.nanoTime() < deadline) {
        // no leader, or only a silent one Ratis still names: wait for one here, as etcd's raft does
        retries.schedule(() -> submit(msg, deadline, result), RETRY_MS, TimeUnit.MILLISECONDS);
      } else if (failure instanceof NotLeaderException) {
        result.completeExceptionally(new java.util.concurrent.TimeoutException("no leader took the proposal"));
      } else {
        result.completeExceptionally(failure);
      }
    });
  }

  /** A follower admitted the writes: the leader appends them; the reply comes after its apply. */
  private void forward(Message msg, RaftPeerId leader, CompletableFuture<Long> result) {
    LOG.debug("forwarding entry to leader: leader={}", leader);
    RaftClient client = forwarder();
    client.async().send(msg).whenComplete((r, err) -> {
      Throwable failure = err == null ? null : unwrap(err);
      if (failure != null) {
        if (discardIfBroken(client, failure)) {
          // Failed together with an earlier write the client gave up on. It may have reached the
          // leader, so it is not resent (a txn must not apply twice): its outcome is unknown, which
          // etcd reports as a timeout.
          result.completeExceptionally(new java.util.concurrent.TimeoutException(
              "forwarding to the leader failed: " + failure.getMessage()));
        } else {
          result.completeExceptionally(failure);
        }
      } else if (r.isSuccess()) {
        result.complete(r.getLogIndex());
        pull.acknowledged(r.getLogIndex());
      } else {
        result.completeExceptionally(r.getException());
      }
    });
  }

  /**
   * The leader this member follows (or learns from), null if it leads or knows no leader: writes are
   * not forwarded to a leader that has been silent for an election timeout ({@link #leaderId()}).
   */
  private RaftPeerId leaderIfFollower() {
    DivisionInfo info = division().getInfo();
    return info.isLeader() || silentLeader(info) ? null : info.getLeaderId();
  }

  private boolean silentLeader(DivisionInfo info) {
    return !info.isLeader() && contact.silentNanos() > leaderSilenceLimitNanos;
  }

  /**
   * Once Ratis' ordered client gives up on a write (retries exhausted) it closes its sliding window
   * for good, and every later write through it fails at once: replace it. True if {@code failure}
   * was such a give-up.
   */
  private boolean discardIfBroken(RaftClient client, Throwable failure) {
    if (!(failure instanceof RaftRetryFailureException || failure instanceof AlreadyClosedException)) {
      return false;
    }
    synchronized (this) {
      if (forwarder != client) {
        return true;
      }
      forwarder = null;
    }
    LOG.info("replacing the forwarding raft client after: {}", failure.toString());
    try {
      retries.execute(() -> {
        try {
          client.close();
        } catch (IOException | RuntimeException e) {
          LOG.debug("closing the old forwarding client failed: {}", e.toString());
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing down: close() closes the current forwarder; this one goes with the JVM
    }
    return true;
  }

  private RaftClient forwarder() {
    RaftClient c = forwarder;
    if (c == null) {
      synchronized (this) {
        if (forwarder == null) {
          // Ratis' default policy retries forever without sleeping: without a leader it spun a core
          // and retried the write long after the caller had its timeout. Give up near the request
          // timeout instead, like the calls it serves. Its own client id: Ratis' retry cache is keyed
          // by (client id, call id), and its call ids and ours for local submissions are counted apart.
          // the current configuration, not the start-up group: peers may have been added or moved
          RaftGroup current = RaftGroup.valueOf(group.getGroupId(), division().getRaftConf().getAllPeers());
          // Aimed at the leader this member knows: Ratis' ordered client opens with a request to its
          // leader guess (the first peer when it has none), and a follower there answered
          // NotLeaderException, which Ratis logged at ERROR on every member's first forwarded write.
          forwarder = RaftClient.newBuilder().setRaftGroup(current).setLeaderId(division().getInfo().getLeaderId())
              .setProperties(properties)
              .setClientId(ClientId.randomId()).setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                  (int) Math.max(1, timeout.toMillis() / FORWARD_RETRY_MS),
                  TimeDuration.valueOf(FORWARD_RETRY_MS, TimeUnit.MILLISECONDS)))
              .build();
        }
        c = forwarder;
      }
    }
    return c;
  }

  /**
   * Linearizable read barrier: completes once this member has applied everything committed before the
   * call (Ratis ReadIndex; followers ask the leader for the index).
   */
  public CompletableFuture<Void> readIndex() {
    CompletableFuture<Void> result = new CompletableFuture<>();
    read(System.nanoTime() + timeout.toNanos(), result);
    return result;
  }

  private void read(long deadline, CompletableFuture<Void> result) {
    submitLocally(newRequest(Message.EMPTY, RaftClientRequest.readRequestType()), result, (r, failure) -> {
      if (failure == null) {
        result.complete(null);
      } else if ((retryable(failure) || unreachable(failure)) && System.nanoTime() < deadline) {
        if (unreachable(failure)) {
          reconnectToLeader(failure);
        }
        retries.schedule(() -> read(deadline, result), RETRY_MS, TimeUnit.MILLISECONDS);
      } else {
        result.completeExceptionally(failure);
      }
    });
  }

  /**
   * gRPC keeps the channel to a peer that was down in exponential connect backoff (up to minutes) and
   * fails calls on it at once meanwhile. A survivor's ReadIndex to a leader that had been stopped for a
   * while and came back failed for the whole request timeout (a ClusterQuorumIT failure in CI), though
   * the leader replicated to it fine over its own, new channel. Dropping the channel makes the next
   * call connect at once, as Ratis' log appender does for its own calls. At most once a second; the
   * old channel's shutdown may block for seconds, so it runs on its own thread.
   */
  private void reconnectToLeader(Throwable failure) {
    long now = System.nanoTime();
    long last = lastReconnect.get();
    RaftPeerId leader = division().getInfo().getLeaderId();
    if (leader == null || now - last < TimeUnit.SECONDS.toNanos(1) || !lastReconnect.compareAndSet(last, now)) {
      return;
    }
    LOG.info("reconnecting to the leader after: leader={} error=\"{}\"", leader, failure.toString());
    inBackground("strata-raft-reconnect", () -> server.getServerRpc().handleException(leader, new IOException(failure), true));
  }

  /**
   * Submits {@code req} to this member's own Raft server (in-process, no client hop) and hands
   * {@code onReply} the reply and its failure: the unwrapped exception, the reply's own exception, or
   * null on success. A submission refused outright fails {@code result} at once, without a retry.
   */
  private void submitLocally(RaftClientRequest req, CompletableFuture<?> result,
      java.util.function.BiConsumer<RaftClientReply, Throwable> onReply) {
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = server.submitClientRequestAsync(req);
    } catch (IOException e) {
      result.completeExceptionally(e);
      return;
    }
    reply.whenComplete((r, err) -> onReply.accept(r, err != null ? unwrap(err) : r.isSuccess() ? null : r.getException()));
  }

  /** Installs the state machine's answer to non-empty read-only messages (on whichever member leads). */
  public void setQueryHandler(java.util.function.Function<byte[], CompletableFuture<byte[]>> handler) {
    ((StrataStateMachine) division().getStateMachine()).setQueryHandler(handler);
  }

  /**
   * Sends a read-only message to the current leader's state machine (Ratis {@code sendReadOnly} to an
   * explicit peer) and completes with its answer; retries on leader change until the request timeout.
   */
  public CompletableFuture<byte[]> queryLeader(byte[] query) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    queryLeader(Message.valueOf(ByteString.copyFrom(query)), System.nanoTime() + timeout.toNanos(), result);
    return result;
  }

  private void queryLeader(Message msg, long deadline, CompletableFuture<byte[]> result) {
    long remaining = deadline - System.nanoTime();
    RaftPeerId leader = remaining > 0 ? division().getInfo().getLeaderId() : null;
    if (leader == null) {
      retryQuery(msg, deadline, result, new java.util.concurrent.TimeoutException("no leader"));
      return;
    }
    forwarder().async().sendReadOnlyUnordered(msg, leader).orTimeout(remaining, TimeUnit.NANOSECONDS)
        .whenComplete((r, err) -> {
          Throwable failure = err != null ? unwrap(err) : r.isSuccess() ? null : r.getException();
          if (failure == null) {
            result.complete(r.getMessage().getContent().toByteArray());
          } else {
            // not leader (any more), leader not ready or not wired yet, unreachable: ask whoever leads next
            LOG.debug("leader query to {} failed, retrying: {}", leader, failure.toString());
            retryQuery(msg, deadline, result, failure);
          }
        });
  }

  private void retryQuery(Message msg, long deadline, CompletableFuture<byte[]> result, Throwable last) {
    if (System.nanoTime() >= deadline) {
      result.completeExceptionally(last);
      return;
    }
    try {
      retries.schedule(() -> queryLeader(msg, deadline, result), RETRY_MS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      result.completeExceptionally(last);
    }
  }

  private RaftClientRequest newRequest(Message msg, RaftClientRequest.Type type) {
    return RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(server.getId())
        .setGroupId(group.getGroupId())
        .setCallId(callIds.incrementAndGet())
        .setMessage(msg)
        .setType(type)
        .build();
  }

  /**
   * The follower's ReadIndex RPC could not reach the leader: gRPC fails calls at once while a channel
   * reconnects (e.g. a member restarted together with the leader, ClusterQuorumIT). A read barrier is
   * idempotent, so it is retried until the deadline, as etcd's read waits for the leader.
   */
  private static boolean unreachable(Throwable e) {
    return e instanceof org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException sre
        && sre.getStatus().getCode() == org.apache.ratis.thirdparty.io.grpc.Status.Code.UNAVAILABLE;
  }

  /** Leader not elected or not ready yet: worth retrying until the deadline. */
  private static boolean retryable(Throwable e) {
    return e instanceof LeaderNotReadyException || e instanceof ReadIndexException
        || e instanceof LeaderSteppingDownException || e instanceof ServerNotReadyException
        // no leader known yet (election in progress): a read cannot be forwarded anywhere
        || (e instanceof NotLeaderException nle && nle.getSuggestedLeader() == null);
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
        || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private RaftServer.Division division() {
    try {
      return server.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new IllegalStateException("raft group not running: " + e.getMessage(), e);
    }
  }

  public long currentTerm() {
    return division().getInfo().getCurrentTerm();
  }

  /**
   * The leader's member id, 0 if none is known. As in etcd, a follower that has not heard from its
   * leader for an election timeout knows none, even though Ratis still names it ({@link LeaderContact}).
   */
  public long leaderId() {
    DivisionInfo info = division().getInfo();
    RaftPeerId leader = info.getLeaderId();
    if (leader == null || silentLeader(info)) {
      return 0;
    }
    return Long.parseUnsignedLong(leader.toString(), 16);
  }

  public boolean isLeader() {
    return division().getInfo().isLeader();
  }

  public long committedIndex() {
    return division().getRaftLog().getLastCommittedIndex();
  }

  public long appliedIndex() {
    return division().getInfo().getLastAppliedIndex();
  }

  /** Member ids in the current Raft configuration with {@code role} (FOLLOWER = voters, LISTENER = learners). */
  public java.util.Set<Long> memberIds(org.apache.ratis.proto.RaftProtos.RaftPeerRole role) {
    java.util.Set<Long> ids = new java.util.LinkedHashSet<>();
    for (RaftPeer p : division().getRaftConf().getCurrentPeers(role)) {
      ids.add(Long.parseUnsignedLong(p.getId().toString(), 16));
    }
    return ids;
  }

  /**
   * Member ids of the voters the leader heard from within {@code window} (itself included); empty on a
   * follower, which does not know.
   */
  public java.util.Set<Long> activeVoterIds(Duration window) {
    java.util.Set<Long> active = new java.util.HashSet<>();
    var info = division().getInfo();
    if (!info.isLeader()) {
      return active;
    }
    active.add(Long.parseUnsignedLong(server.getId().toString(), 16));
    for (var f : info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
      if (f.getLastRpcElapsedTimeMs() < window.toMillis()) {
        active.add(Long.parseUnsignedLong(f.getId().getId().toStringUtf8(), 16));
      }
    }
    return active;
  }

  /**
   * Replaces the Raft configuration with these voters and learners (Ratis listeners), all already in
   * the current configuration; blocks until the leader committed it. Uses the List overload: the
   * array one drops servers (ratis.md).
   */
  public void setMembers(java.util.Set<Long> voters, java.util.Set<Long> learners) throws IOException {
    var conf = division().getRaftConf();
    List<RaftPeer> servers = new ArrayList<>();
    List<RaftPeer> listeners = new ArrayList<>();
    for (RaftPeer p : conf.getAllPeers()) {
      long id = Long.parseUnsignedLong(p.getId().toString(), 16);
      if (voters.contains(id)) {
        servers.add(p);
      } else if (learners.contains(id)) {
        listeners.add(p);
      }
    }
    for (RaftPeer p : conf.getAllPeers(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER)) {
      if (learners.contains(Long.parseUnsignedLong(p.getId().toString(), 16)) && !listeners.contains(p)) {
        listeners.add(p);
      }
    }
    RaftClientReply reply = forwarder().admin().setConfiguration(servers, listeners);
    if (!reply.isSuccess()) {
      throw reply.getException() != null ? reply.getException() : new IOException("reconfiguration failed");
    }
  }

  /** Installs the answer to membership queries (one 0x00 byte, then the query; see StrataStateMachine). */
  public void setMemberQueryHandler(java.util.function.Function<byte[], CompletableFuture<byte[]>> handler) {
    ((StrataStateMachine) division().getStateMachine()).setMemberQueryHandler(handler);
  }

  /**
   * True while this member is a learner: a listener in the current configuration. Not the Ratis role: a
   * member that joined outside the configuration keeps the FOLLOWER role after the leader added it as
   * a listener (Ratis 3.2.2 changes LISTENER to FOLLOWER on a configuration entry, never the reverse).
   */
  public boolean isListener() {
    return division().getRaftConf().getPeer(server.getId(),
        org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER) != null;
  }

  /** The Raft transport address (host:port) of a member in the current configuration. */
  public java.util.Optional<String> peerAddress(long memberId) {
    return addressOf(RaftPeerId.valueOf(Long.toHexString(memberId)));
  }

  private java.util.Optional<String> addressOf(RaftPeerId id) {
    RaftPeer p = division().getRaftConf().getPeer(id, org.apache.ratis.proto.RaftProtos.RaftPeerRole.FOLLOWER,
        org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER);
    return p == null ? java.util.Optional.empty() : java.util.Optional.of(p.getAddress());
  }

  /** The leader's last log index (etcd: the leader's own Match); 0 off the leader. */
  public long lastLogIndex() {
    var last = division().getRaftLog().getLastEntryTermIndex();
    return last == null ? 0 : last.getIndex();
  }

  /**
   * The leader's match index for {@code memberId} (voter or listener), if this member leads and
   * replicates to it. Ratis lists follower infos and match indices in the same appender order.
   */
  public java.util.OptionalLong followerMatchIndex(long memberId) {
    var info = division().getInfo();
    long[] match = info.getFollowerMatchIndices();
    if (match == null || !info.isLeader()) {
      return java.util.OptionalLong.empty();
    }
    var followers = info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
    if (followers.size() != match.length) {
      return java.util.OptionalLong.empty(); // appenders changed between the two reads
    }
    for (int i = 0; i < match.length; i++) {
      if (Long.parseUnsignedLong(followers.get(i).getId().getId().toStringUtf8(), 16) == memberId) {
        return java.util.OptionalLong.of(match[i]);
      }
    }
    return java.util.OptionalLong.empty();
  }

  /**
   * On the leader, in-process: asks Ratis for exactly these voters and learners (member id to transport
   * address; members already in the configuration keep their peer entry). Ratis first bootstraps peers
   * that are new to the configuration and commits the new one only once they caught up; it fails with
   * ReconfigurationTimeoutException if a new peer does not answer for 3 election timeouts, and with
   * ReconfigurationInProgressException while another change is staged.
   */
  public CompletableFuture<Void> setConfiguration(java.util.Map<Long, String> voters,
      java.util.Map<Long, String> learners) {
    // Ratis sees no change in a configuration whose ids and priorities are the same (RaftConfigurationImpl
    // .hasNoChange ignores addresses): a moved peer raises every peer's priority by one. Priorities stay
    // equal among peers, so no leader yields to a "more preferred" follower. An empty address keeps the
    // peer's current one.
    int priority = division().getRaftConf().getAllPeers().stream().mapToInt(RaftPeer::getPriority).max().orElse(0);
    boolean moves = java.util.stream.Stream.concat(voters.entrySet().stream(), learners.entrySet().stream())
        .anyMatch(e -> peerAddress(e.getKey()).filter(a -> !e.getValue().isEmpty() && !a.equals(e.getValue())).isPresent());
    int newPriority = moves ? priority + 1 : priority;
    java.util.function.Function<java.util.Map.Entry<Long, String>, RaftPeer> peer = e -> {
      String address = e.getValue().isEmpty() ? peerAddress(e.getKey()).orElseThrow() : e.getValue();
      return RaftPeer.newBuilder().setId(Long.toHexString(e.getKey())).setAddress(address)
          .setPriority(newPriority).build();
    };
    List<RaftPeer> servers = voters.entrySet().stream().map(peer).toList();
    List<RaftPeer> listeners = learners.entrySet().stream().map(peer).toList();
    var request = new org.apache.ratis.protocol.SetConfigurationRequest(clientId, server.getId(),
        group.getGroupId(), callIds.incrementAndGet(),
        org.apache.ratis.protocol.SetConfigurationRequest.Arguments.newBuilder()
            .setServersInNewConf(servers).setListenersInNewConf(listeners).build());
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = server.setConfigurationAsync(request);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return reply.thenApply(r -> {
      if (!r.isSuccess()) {
        throw new java.util.concurrent.CompletionException(
            r.getException() != null ? r.getException() : new IOException("reconfiguration failed"));
      }
      return null;
    });
  }

  /**
   * Points the connections at the current configuration's addresses ({@link PeerProxies}) and, if a peer
   * moved, rebuilds the forwarding client. After every configuration entry applied, and at start.
   */
  void refreshPeerAddresses() {
    var conf = division().getRaftConf();
    List<RaftPeer> peers = new ArrayList<>(conf.getCurrentPeers());
    peers.addAll(conf.getCurrentPeers(org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER));
    if (!PeerProxies.replaceMoved(server, peers)) {
      return;
    }
    RaftClient old;
    synchronized (this) {
      old = forwarder;
      forwarder = null;
    }
    if (old != null) {
      closeInBackground(old);
    }
  }

  /** Closing a gRPC channel or client may wait seconds for its calls: not on Ratis' or callers' threads. */
  static void closeInBackground(java.io.Closeable c) {
    inBackground("strata-raft-close", () -> {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.debug("closing a replaced connection failed: {}", e.toString());
      }
    });
  }

  private static void inBackground(String name, Runnable work) {
    Thread t = new Thread(work, name);
    t.setDaemon(true);
    t.start();
  }

  /**
   * On the leader, marks the listener {@code memberId} caught up once its staging ended (a Ratis 3.2.2
   * workaround, {@link ListenerCatchUp}); false, having logged why, if that is not possible.
   */
  public boolean markCaughtUp(long memberId) {
    return ListenerCatchUp.mark(division(), memberId);
  }

  /**
   * Asks the leader to hand leadership to {@code memberId} (Ratis transferLeadership); blocks until it
   * did or {@code timeout} passed, then throws.
   */
  public void transferLeadership(long memberId, Duration timeout) throws IOException {
    RaftClientReply reply = forwarder().admin()
        .transferLeadership(RaftPeerId.valueOf(Long.toHexString(memberId)), timeout.toMillis());
    if (!reply.isSuccess()) {
      throw reply.getException() != null ? reply.getException() : new IOException("leader transfer failed");
    }
  }

  @Override
  public void close() throws IOException {
    retries.shutdownNow();
    forwarding.close();
    RaftClient c = forwarder;
    if (c != null) {
      c.close();
    }
    ((StrataStateMachine) division().getStateMachine()).expectClose();
    server.close();
  }
}
