package dev.strata.server.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Server-picked lease ids: etcd's idutil layout, positive, unique, distinct per member and restart. */
class LeaseIdsTest {

  @Test
  void positiveUniqueAndPrefixedByMember() {
    LeaseIds ids = new LeaseIds(0xffff_abcd_1234_8765L, 1_700_000_000_000L);
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      long id = ids.next();
      assertThat(id).isPositive();
      assertThat(id >>> 48).as("member id's low 16 bits, top bit cleared").isEqualTo(0x8765L & 0x7fff);
      assertThat(seen.add(id)).isTrue();
    }
    // a later start (≥ 1 ms on) continues above the earlier ids as long as < 256 ids per ms were drawn
    LeaseIds later = new LeaseIds(0xffff_abcd_1234_8765L, 1_700_000_000_000L + 100);
    assertThat(later.next()).isGreaterThan(seen.stream().mapToLong(Long::longValue).max().orElseThrow());
    assertThat(new LeaseIds(1, 0).next() >>> 48).isEqualTo(1);
  }
}
