package dev.strata.server.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MemberAdd's URL validation (etcd's {@code types.NewURLs}) and member id (etcd's {@code NewMember}). */
class ClusterServiceTest {

  @Test
  void peerUrlsAreTrimmedAndSortedLikeEtcd() {
    assertThat(ClusterService.peerUrls(List.of(" https://b:2 ", "http://a:1", "unix://c:3")))
        .containsExactly("http://a:1", "https://b:2", "unix://c:3");
  }

  @Test
  void invalidPeerUrlsAreRefusedWithEtcdsMessage() {
    for (List<String> bad : List.of(List.<String>of(), List.of("127.0.0.1:1"), List.of("http://host"),
        List.of("ftp://host:1"), List.of("http://host:1/path"), List.of("http://a:1", "not a url"))) {
      assertThatThrownBy(() -> ClusterService.peerUrls(bad)).as(bad.toString())
          .isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.error()).isEqualTo(EtcdError.MEMBER_BAD_URLS));
    }
    assertThat(EtcdError.MEMBER_BAD_URLS.message()).isEqualTo("etcdserver: given member URLs are invalid");
  }

  @Test
  void memberIdHashesSortedUrlsAndTheUnixSecond() {
    long a = ClusterService.newMemberId(List.of("http://127.0.0.1:2380"), 1_700_000_000L);
    assertThat(ClusterService.newMemberId(List.of("http://127.0.0.1:2380"), 1_700_000_000L)).isEqualTo(a);
    assertThat(ClusterService.newMemberId(List.of("http://127.0.0.1:2380"), 1_700_000_001L)).isNotEqualTo(a);
    // the real etcd check (an etcd 3.4 MemberAdd's id matched for some second around the call) is in
    // ClusterReconfigIT; the input is sorted URLs joined, "" (cluster name), the decimal seconds
    assertThat(ClusterService.newMemberId(List.of("http://a:1", "http://b:2"), 5))
        .isEqualTo(dev.strata.server.config.ClusterIdentity.memberId(
            List.of(java.net.URI.create("http://b:2"), java.net.URI.create("http://a:1")), "5"));
  }
}
