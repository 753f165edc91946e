package dev.strata.backend;

import static dev.strata.backend.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MutationBatchTest {

  private final Object owner = new Object();

  @Test
  void recordsCopiesInOrderAndCountsBytes() {
    MutationBatch batch = new MutationBatch(owner);
    byte[] key = utf8("k");
    batch.put(Bucket.KEY, key, utf8("value"));
    key[0] = 'x';
    batch.delete(Bucket.META, utf8("d"));
    batch.deleteRange(Bucket.LEASE, null, utf8("z"));
    assertThat(batch.size()).isEqualTo(3);
    assertThat(batch.byteSize()).isEqualTo(1 + 5 + 1 + 1);
    List<Mutation> mutations = MutationBatch.claim(batch, owner);
    assertThat(mutations).hasSize(3);
    assertThat(mutations.get(0)).isInstanceOfSatisfying(Mutation.Put.class, p -> {
      assertThat(p.key()).isEqualTo(utf8("k"));
      assertThat(p.value()).isEqualTo(utf8("value"));
    });
    assertThat(mutations.get(1)).isInstanceOf(Mutation.Delete.class);
    assertThat(mutations.get(2)).isInstanceOfSatisfying(Mutation.DeleteRange.class, r -> {
      assertThat(r.from()).isNull();
      assertThat(r.to()).isEqualTo(utf8("z"));
    });
  }

  @Test
  void canBeClaimedOnceAndOnlyByItsOwner() {
    MutationBatch batch = new MutationBatch(owner);
    assertThatThrownBy(() -> MutationBatch.claim(batch, new Object()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not created by this backend");
    MutationBatch.claim(batch, owner);
    assertThatThrownBy(() -> MutationBatch.claim(batch, owner)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> batch.delete(Bucket.KEY, utf8("k"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void unsignedOrderAndRanges() {
    assertThat(Keys.compare(Bytes.of(0x80), Bytes.of(0x7f))).isPositive();
    assertThat(Keys.compare(Bytes.of(0x01), Bytes.of(0x01, 0x00))).isNegative();
    assertThat(Keys.inRange(Bytes.of(0x80), Bytes.of(0x7f), Bytes.of(0x81))).isTrue();
    assertThat(Keys.inRange(Bytes.of(0x81), Bytes.of(0x7f), Bytes.of(0x81))).isFalse();
    assertThat(Keys.inRange(Bytes.of(0x00), null, null)).isTrue();
  }
}
