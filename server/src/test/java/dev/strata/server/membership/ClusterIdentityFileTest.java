package dev.strata.server.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.server.config.ClusterIdentity;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The identity a member keeps in its data dir, so restarts neither ask peers nor read --initial-cluster. */
class ClusterIdentityFileTest {

  @Test
  void roundTrips(@TempDir Path dir) throws Exception {
    assertThat(ClusterIdentity.load(dir)).isEmpty();
    Map<Long, ClusterIdentity.Member> members = new LinkedHashMap<>();
    members.put(-2L, new ClusterIdentity.Member(-2L, "m1", List.of(URI.create("http://127.0.0.1:1"))));
    members.put(7L, new ClusterIdentity.Member(7L, "", List.of(URI.create("http://a:2"), URI.create("http://b:2"))));
    ClusterIdentity ids = new ClusterIdentity(0x8e9e05c52164694dL, 7L, members, true);
    ids.save(dir);
    ClusterIdentity back = ClusterIdentity.load(dir).orElseThrow();
    assertThat(back).isEqualTo(ids);
    assertThat(back.raftGroupId()).isEqualTo(ids.raftGroupId());
  }
}
