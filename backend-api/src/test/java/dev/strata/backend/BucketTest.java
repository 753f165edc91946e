package dev.strata.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BucketTest {

  @Test
  void idsAndNamesAreEtcdsAndStable() {
    // Part of the on-disk format: changing any of these breaks existing data dirs and hashes.
    assertThat(Arrays.stream(Bucket.values()).map(b -> b.id() + "=" + b.etcdName()))
        .containsExactly("1=key", "2=meta", "3=lease", "4=auth", "5=authUsers", "6=authRoles",
            "7=members", "8=members_removed", "9=alarm", "10=cluster");
  }

  @Test
  void byIdFindsEveryBucketAndRejectsUnknownIds() {
    for (Bucket b : Bucket.values()) {
      assertThat(Bucket.byId(b.id())).isSameAs(b);
    }
    for (int bad : new int[] {0, -1, 11, 255}) {
      assertThatThrownBy(() -> Bucket.byId(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("unknown bucket id: " + bad);
    }
  }
}
