package dev.strata.server.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cases after etcd's key_index_test.go. */
class KeyIndexTest {

  /** generations {2 4 6t}{8 10 12t}{14 14.1 16t}{} like etcd's newTestKeyIndex. */
  static KeyIndex testIndex() {
    KeyIndex ki = new KeyIndex(ByteKey.wrap("foo".getBytes()));
    ki.put(2, 0);
    ki.put(4, 0);
    ki.tombstone(6, 0);
    ki.put(8, 0);
    ki.put(10, 0);
    ki.tombstone(12, 0);
    ki.put(14, 0);
    ki.put(14, 1);
    ki.tombstone(16, 0);
    return ki;
  }

  @Test
  void generationsShape() {
    assertThat(testIndex()).hasToString("{2_0 4_0 6_0}{8_0 10_0 12_0}{14_0 14_1 16_0}{}");
  }

  @ParameterizedTest(name = "get({0})")
  @CsvSource({
      // atRev, modMain, modSub, createdMain, version (-1: absent)
      "1,  -1, 0, 0, 0", "2, 2, 0, 2, 1", "3, 2, 0, 2, 1", "4, 4, 0, 2, 2", "5, 4, 0, 2, 2",
      "6, -1, 0, 0, 0", "7, -1, 0, 0, 0", "8, 8, 0, 8, 1", "11, 10, 0, 8, 2", "12, -1, 0, 0, 0",
      "14, 14, 1, 14, 2", "15, 14, 1, 14, 2", "16, -1, 0, 0, 0", "100, -1, 0, 0, 0"})
  void get(long atRev, long modMain, long modSub, long created, long ver) {
    KeyIndex.Hit hit = testIndex().get(atRev);
    if (modMain == -1) {
      assertThat(hit).isNull();
    } else {
      assertThat(hit).isEqualTo(new KeyIndex.Hit(new Revision(modMain, modSub), new Revision(created, 0), ver));
    }
  }

  @Test
  void getAfterCompactionStillKnowsVersions() {
    KeyIndex ki = testIndex();
    ki.compact(4, new HashSet<>());
    assertThat(ki.get(2)).isNull();
    assertThat(ki.get(5)).isEqualTo(new KeyIndex.Hit(new Revision(4, 0), new Revision(2, 0), 2));
    assertThat(ki.get(10).version()).isEqualTo(2);
  }

  @ParameterizedTest(name = "compact({0})")
  @CsvSource({
      "1, '{2_0 4_0 6_0}{8_0 10_0 12_0}{14_0 14_1 16_0}{}', ''",
      "2, '{2_0 4_0 6_0}{8_0 10_0 12_0}{14_0 14_1 16_0}{}', '2_0'",
      "5, '{4_0 6_0}{8_0 10_0 12_0}{14_0 14_1 16_0}{}', '4_0'",
      // etcd <= 3.4.33: a tombstone at exactly the compaction revision goes with its generation
      "6, '{8_0 10_0 12_0}{14_0 14_1 16_0}{}', ''",
      "7, '{8_0 10_0 12_0}{14_0 14_1 16_0}{}', ''",
      "11, '{10_0 12_0}{14_0 14_1 16_0}{}', '10_0'",
      "12, '{14_0 14_1 16_0}{}', ''",
      "15, '{14_1 16_0}{}', '14_1'",
      "16, '{}', ''",
      "17, '{}', ''"})
  void compactAndKeepAgree(long atRev, String after, String kept) {
    KeyIndex ki = testIndex();
    Set<Revision> keep = new HashSet<>();
    ki.keep(atRev, keep);
    Set<Revision> available = new HashSet<>();
    ki.compact(atRev, available);
    assertThat(ki).hasToString(after);
    Set<Revision> expected = kept.isEmpty() ? Set.of() : Set.of(parse(kept));
    assertThat(available).isEqualTo(expected);
    assertThat(keep).isEqualTo(expected);
    assertThat(ki.isEmpty()).isEqualTo(after.equals("{}"));
  }

  @Test
  void compactingTwiceIsStable() {
    KeyIndex ki = testIndex();
    ki.compact(11, new HashSet<>());
    ki.compact(11, new HashSet<>());
    assertThat(ki).hasToString("{10_0 12_0}{14_0 14_1 16_0}{}");
    ki.compact(13, new HashSet<>());
    assertThat(ki).hasToString("{14_0 14_1 16_0}{}");
  }

  @Test
  void tombstoneOnDeletedKeyChangesNothing() {
    KeyIndex ki = testIndex();
    assertThat(ki.tombstone(17, 0)).isFalse();
    assertThat(ki).hasToString("{2_0 4_0 6_0}{8_0 10_0 12_0}{14_0 14_1 16_0}{}");
  }

  @Test
  void putMustMoveForward() {
    KeyIndex ki = testIndex();
    assertThatThrownBy(() -> ki.put(16, 0)).isInstanceOf(IllegalStateException.class);
    ki.put(16, 1);
    assertThat(ki.get(16).created()).isEqualTo(new Revision(16, 1));
  }

  @Test
  void undoRestoresEveryShape() {
    TreeIndex index = new TreeIndex();
    ByteKey k = ByteKey.wrap("k".getBytes());
    List<TreeIndex.Undo> undo = new java.util.ArrayList<>();
    undo.add(index.put(k, new Revision(2, 0)));
    assertThat(index.keyIndex(k)).hasToString("{2_0}");
    index.put(k, new Revision(3, 0));
    String before = index.keyIndex(k).toString();
    Revision modBefore = index.keyIndex(k).modified();
    undo.clear();
    undo.add(index.put(k, new Revision(4, 0)));
    undo.add(index.tombstone(k, new Revision(4, 1)));
    undo.add(index.put(k, new Revision(4, 2)));
    assertThat(index.keyIndex(k)).hasToString("{2_0 3_0 4_0 4_1}{4_2}");
    for (int i = undo.size() - 1; i >= 0; i--) {
      index.undo(undo.get(i));
    }
    assertThat(index.keyIndex(k)).hasToString(before);
    assertThat(index.keyIndex(k).modified()).isEqualTo(modBefore);
    assertThat(index.get(k, 10).version()).isEqualTo(2);

    ByteKey fresh = ByteKey.wrap("new".getBytes());
    index.undo(index.put(fresh, new Revision(5, 0)));
    assertThat(index.keyIndex(fresh)).isNull();
  }

  @Test
  void treeRangesCountsAndLimits() {
    TreeIndex index = new TreeIndex();
    long rev = 2;
    for (String s : new String[] {"a", "b", "c", "d"}) {
      index.put(ByteKey.wrap(s.getBytes()), new Revision(rev++, 0));
    }
    index.tombstone(ByteKey.wrap("b".getBytes()), new Revision(rev, 0)); // rev 6
    List<TreeIndex.KeyRev> out = new java.util.ArrayList<>();
    assertThat(index.revisions(key("a"), key("d"), 6, 1, out)).isEqualTo(2); // a, c
    assertThat(out).extracting(kr -> kr.key().toString()).containsExactly("a");
    assertThat(index.count(key("a"), ByteKey.wrap(new byte[0]), 5)).isEqualTo(4);
    assertThat(index.count(key("a"), ByteKey.wrap(new byte[0]), 6)).isEqualTo(3);
    assertThat(index.count(key("c"), key("a"), 6)).isZero();
    assertThat(index.count(key("b"), null, 5)).isEqualTo(1);
    assertThat(index.compact(6)).containsExactlyInAnyOrder(new Revision(2, 0), new Revision(4, 0),
        new Revision(5, 0));
    assertThat(index.size()).isEqualTo(3); // "b" is gone with its tombstone at the compaction revision
  }

  private static ByteKey key(String s) {
    return ByteKey.wrap(s.getBytes());
  }

  private static Revision parse(String s) {
    String[] p = s.split("_");
    return new Revision(Long.parseLong(p[0]), Long.parseLong(p[1]));
  }
}
