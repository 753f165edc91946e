package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many concurrent writes through one member: every acknowledged Put got its own revision, the
 * revisions are exactly 2..N+1 (no loss, no duplicate apply), and the proposer packed several
 * requests into Raft entries.
 */
class ProposalBatchingTest {

  @TempDir
  Path dir;

  @Test
  void concurrentPutsAreBatchedAndEachAppliedOnce() throws Exception {
    int total = 2000;
    try (TestMember m = TestMember.start(dir, "btree", TestMember.freePort())) {
      var kv = KVGrpc.newFutureStub(m.channel);
      List<com.google.common.util.concurrent.ListenableFuture<PutResponse>> futures = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        futures.add(kv.withDeadlineAfter(60, TimeUnit.SECONDS).put(PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("k" + (i % 100))).setValue(ByteString.copyFromUtf8("v" + i)).build()));
      }
      Set<Long> revisions = new HashSet<>();
      for (var f : futures) {
        revisions.add(f.get(60, TimeUnit.SECONDS).getHeader().getRevision());
      }
      assertThat(revisions).hasSize(total);
      assertThat(revisions.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(2);
      assertThat(revisions.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(total + 1);

      var server = m.member.server();
      assertThat(server.proposedRequests()).isEqualTo(total);
      assertThat(server.proposedEntries()).as("entries for %d requests", total).isLessThan(total);
      long count = KVGrpc.newBlockingStub(m.channel).range(RangeRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8("k")).setRangeEnd(ByteString.copyFromUtf8("l")).setCountOnly(true).build())
          .getCount();
      assertThat(count).isEqualTo(100);
      assertThat(m.halted.get()).isNull();
    }
  }
}
