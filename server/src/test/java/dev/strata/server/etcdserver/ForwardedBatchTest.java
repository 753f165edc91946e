package dev.strata.server.etcdserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.server.raft.proto.Batch;
import dev.strata.server.raft.proto.Request;
import io.etcd.jetcd.api.PutRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What the leader relies on when it adds a follower's forwarded batch to its entry as bytes: encoded
 * batches concatenate into one batch with every request in order and each naming its own proposer,
 * and the requests of a forwarded batch are counted without decoding them, refusing anything else.
 */
class ForwardedBatchTest {

  @Test
  void encodedBatchesConcatenateIntoOneBatchWithEveryRequestInOrder() throws Exception {
    byte[] leaders = batch(put(1, 0xAAL, "a"), put(2, 0xAAL, "b")).toByteArray();
    byte[] followers = batch(put(1, 0xBBL, "c")).toByteArray();

    Batch entry = Batch.parseFrom(ByteBuffer.allocate(leaders.length + followers.length).put(leaders).put(followers).array());

    assertThat(entry.getRequestsList()).extracting(r -> r.getPut().getKey().toStringUtf8()).containsExactly("a", "b", "c");
    assertThat(entry.getRequestsList()).extracting(Request::getProposer).containsExactly(0xAAL, 0xAAL, 0xBBL);
    assertThat(entry.getRequestsList()).extracting(Request::getId).containsExactly(1L, 2L, 1L);
  }

  @Test
  void theRequestsOfAForwardedBatchAreCounted() {
    assertThat(Proposer.countRequests(batch(put(1, 7, "a")).toByteArray())).isEqualTo(1);
    assertThat(Proposer.countRequests(batch(put(1, 7, "a"), put(2, 7, "b"), put(3, 7, "")).toByteArray())).isEqualTo(3);
  }

  @Test
  void aForwardedBatchThatNamesABatchProposerIsRefused() {
    byte[] old = batch(put(1, 0, "a")).toBuilder().setProposer(7).build().toByteArray();

    assertThatThrownBy(() -> Proposer.countRequests(old)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unexpected field");
  }

  @Test
  void aTruncatedOrEmptyForwardedBatchIsRefused() {
    byte[] whole = batch(put(1, 7, "a"), put(2, 7, "b")).toByteArray();

    assertThatThrownBy(() -> Proposer.countRequests(Arrays.copyOf(whole, whole.length - 3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed");
    assertThatThrownBy(() -> Proposer.countRequests(new byte[0]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
  }

  private static Batch batch(Request... requests) {
    return Batch.newBuilder().addAllRequests(Arrays.asList(requests)).build();
  }

  private static Request put(long id, long proposer, String key) {
    return Request.newBuilder().setId(id).setProposer(proposer)
        .setPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))).build();
  }
}
