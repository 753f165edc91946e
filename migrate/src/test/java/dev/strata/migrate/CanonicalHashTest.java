package dev.strata.migrate;

import static dev.strata.backend.Bytes.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.backend.Backend;
import dev.strata.backend.BackendOptions;
import dev.strata.backend.Backends;
import dev.strata.backend.Bucket;
import dev.strata.backend.CanonicalHash;
import dev.strata.backend.WriteBatch;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The canonical hash tells apart every change of logical content, and only that, on every engine. */
class CanonicalHashTest {

  @TempDir Path tmp;
  private int dirs;

  private String hashOf(String engine, Consumer<WriteBatch> content) {
    try (Backend b = Backends.factory(engine).open(tmp.resolve("db" + dirs++), BackendOptions.defaults())) {
      WriteBatch batch = b.newBatch();
      content.accept(batch);
      b.commit(batch);
      return CanonicalHash.hex(b);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void distinguishesEveryLogicalDifference(String engine) {
    List<Consumer<WriteBatch>> contents = List.of(
        b -> {},
        b -> b.put(Bucket.KEY, utf8("ab"), utf8("c")),
        b -> b.put(Bucket.KEY, utf8("a"), utf8("bc")),
        b -> b.put(Bucket.META, utf8("ab"), utf8("c")),
        b -> b.put(Bucket.KEY, utf8("ab"), new byte[0]),
        b -> {
          b.put(Bucket.KEY, utf8("ab"), utf8("c"));
          b.put(Bucket.KEY, utf8("b"), new byte[0]);
        },
        b -> {
          b.put(Bucket.KEY, utf8("ab"), utf8("c"));
          b.put(Bucket.LEASE, utf8("b"), new byte[0]);
        });
    Set<String> hashes = new HashSet<>();
    for (Consumer<WriteBatch> c : contents) {
      hashes.add(hashOf(engine, c));
    }
    assertThat(hashes).hasSize(contents.size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"btree", "lsm"})
  void ignoresHowTheContentWasWritten(String engine) {
    String direct = hashOf(engine, b -> b.put(Bucket.KEY, utf8("k"), utf8("v")));
    String indirect = hashOf(engine, b -> {
      b.put(Bucket.KEY, utf8("gone"), utf8("x"));
      b.put(Bucket.KEY, utf8("k"), utf8("old"));
      b.deleteRange(Bucket.KEY, null, null);
      b.put(Bucket.KEY, utf8("k"), utf8("v"));
    });
    assertThat(indirect).isEqualTo(direct).isEqualTo(hashOf(engine.equals("lsm") ? "btree" : "lsm",
        b -> b.put(Bucket.KEY, utf8("k"), utf8("v"))));
  }
}
