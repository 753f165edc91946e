package dev.strata.server.mvcc;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The revisions of one user key, grouped in generations, a port of etcd's {@code key_index.go}.
 *
 * <p>A generation is a life of the key: it starts with a creating put and ends with a tombstone
 * (the tombstone is the generation's last revision, and a new empty generation follows it). The last
 * generation is the current one and is empty iff the key is deleted. Example for
 * {@code put@1 put@2 delete@3 put@4}: {@code {1.0 2.0 3.0(t)}, {4.0}}.
 *
 * <p>Not thread-safe: guarded by the {@link MvccStore} lock (mutations under its write lock).
 */
final class KeyIndex {

  /** What {@link #get} finds: the revision holding the value, the generation's creation, the version. */
  record Hit(Revision modified, Revision created, long version) {}

  private static final class Generation {
    long ver;
    Revision created = Revision.ZERO;
    final ArrayList<Revision> revs;

    Generation() {
      revs = new ArrayList<>(1);
    }

    Generation(List<Revision> revs, Revision created, long ver) {
      this.revs = new ArrayList<>(revs);
      this.created = created;
      this.ver = ver;
    }

    boolean isEmpty() {
      return revs.isEmpty();
    }

    Revision last() {
      return revs.get(revs.size() - 1);
    }

    /** etcd's {@code walk}: index of the newest revision with main ≤ atRev, or -1. */
    int newestAtOrBelow(long atRev) {
      for (int i = revs.size() - 1; i >= 0; i--) {
        if (revs.get(i).main() <= atRev) {
          return i;
        }
      }
      return -1;
    }
  }

  private final ByteKey key;
  private Revision modified = Revision.ZERO;
  private final ArrayList<Generation> generations = new ArrayList<>(1);

  KeyIndex(ByteKey key) {
    this.key = key;
  }

  ByteKey key() {
    return key;
  }

  /** The revision of the last change (put or tombstone). */
  Revision modified() {
    return modified;
  }

  /** Records a put at {@code (main, sub)}, which must be newer than every revision seen. */
  void put(long main, long sub) {
    Revision rev = new Revision(main, sub);
    if (!rev.greaterThan(modified)) {
      throw new IllegalStateException(
          "key " + key + ": put revision " + rev + " is not newer than " + modified);
    }
    if (generations.isEmpty()) {
      generations.add(new Generation());
    }
    Generation g = generations.get(generations.size() - 1);
    if (g.isEmpty()) {
      g.created = rev;
    }
    g.revs.add(rev);
    g.ver++;
    modified = rev;
  }

  /**
   * Rebuilds a key first seen at startup at {@code modified} (older revisions were compacted away):
   * the generation's creation and version come from the stored KeyValue.
   */
  void restore(Revision created, Revision modified, long ver) {
    if (!generations.isEmpty()) {
      throw new IllegalStateException("key " + key + ": restore on a non-empty key index");
    }
    this.modified = modified;
    generations.add(new Generation(List.of(modified), created, ver));
  }

  /**
   * Records a deletion: the tombstone ends the current generation and an empty one starts.
   *
   * @return false, changing nothing, if the key is already deleted (etcd's ErrRevisionNotFound)
   */
  boolean tombstone(long main, long sub) {
    checkNotEmpty();
    if (generations.get(generations.size() - 1).isEmpty()) {
      return false;
    }
    put(main, sub);
    generations.add(new Generation());
    return true;
  }

  /** Reverts the last {@link #put}; {@code previousModified} is {@link #modified()} before it. */
  void undoPut(Revision previousModified) {
    Generation g = generations.get(generations.size() - 1);
    g.revs.remove(g.revs.size() - 1);
    g.ver--;
    if (g.isEmpty()) {
      g.created = Revision.ZERO;
    }
    modified = previousModified;
  }

  /** Reverts the last successful {@link #tombstone}. */
  void undoTombstone(Revision previousModified) {
    generations.remove(generations.size() - 1);
    undoPut(previousModified);
  }

  /** The value revision, creation and version of the key as of {@code atRev}, or null if absent then. */
  Hit get(long atRev) {
    checkNotEmpty();
    Generation g = findGeneration(atRev);
    if (g == null) {
      return null;
    }
    int n = g.newestAtOrBelow(atRev);
    if (n == -1) {
      return null;
    }
    return new Hit(g.revs.get(n), g.created, g.ver - (g.revs.size() - n - 1));
  }

  /**
   * Drops every revision ≤ {@code atRev} except the newest one (dropped too if it is a tombstone),
   * and generations left empty; adds the revision kept at or below {@code atRev} to {@code available}.
   * Like etcd ≤ 3.4.33 / ≤ 3.5.15, a tombstone at exactly {@code atRev} is dropped as well.
   */
  void compact(long atRev, Set<Revision> available) {
    checkNotEmpty();
    int genIdx = firstGenerationToKeep(atRev);
    Generation g = generations.get(genIdx);
    int revIndex = walkAndCollect(g, atRev, available);
    if (!g.isEmpty()) {
      if (revIndex != -1) {
        g.revs.subList(0, revIndex).clear();
      }
      // A generation reduced to its tombstone is dead history: drop it too.
      if (g.revs.size() == 1 && genIdx != generations.size() - 1) {
        available.remove(g.revs.get(0));
        genIdx++;
      }
    }
    generations.subList(0, genIdx).clear();
  }

  /** Adds to {@code available} the revision {@link #compact} would keep at or below {@code atRev}. */
  void keep(long atRev, Set<Revision> available) {
    if (isEmpty()) {
      return;
    }
    int genIdx = firstGenerationToKeep(atRev);
    Generation g = generations.get(genIdx);
    int revIndex = walkAndCollect(g, atRev, available);
    if (!g.isEmpty() && revIndex == g.revs.size() - 1 && genIdx != generations.size() - 1) {
      available.remove(g.revs.get(revIndex));
    }
  }

  /** etcd's {@code doCompact} generation search: the first generation whose tombstone is > atRev. */
  private int firstGenerationToKeep(long atRev) {
    int genIdx = 0;
    while (genIdx < generations.size() - 1) {
      if (generations.get(genIdx).last().main() > atRev) {
        break;
      }
      genIdx++;
    }
    return genIdx;
  }

  private static int walkAndCollect(Generation g, long atRev, Set<Revision> available) {
    int n = g.newestAtOrBelow(atRev);
    if (n != -1) {
      available.add(g.revs.get(n));
    }
    return n;
  }

  /** True if the key has no revision at all (only possible after compaction). */
  boolean isEmpty() {
    return generations.size() == 1 && generations.get(0).isEmpty();
  }

  /**
   * The generation the key lives in at {@code rev}, or null if the key did not exist then (before
   * its first creation, or between a tombstone and the next creation).
   */
  private Generation findGeneration(long rev) {
    int last = generations.size() - 1;
    for (int cg = last; cg >= 0; cg--) {
      Generation g = generations.get(cg);
      if (g.isEmpty()) {
        continue;
      }
      if (cg != last && g.last().main() <= rev) {
        return null;
      }
      if (g.revs.get(0).main() <= rev) {
        return g;
      }
    }
    return null;
  }

  private void checkNotEmpty() {
    if (generations.isEmpty() || isEmpty()) {
      throw new IllegalStateException("key " + key + ": unexpected empty key index");
    }
  }

  /** Generations as text, e.g. {@code {1_0 2_0 3_0}{4_0}}, for tests and debugging. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Generation g : generations) {
      sb.append('{');
      for (int i = 0; i < g.revs.size(); i++) {
        sb.append(i == 0 ? "" : " ").append(g.revs.get(i));
      }
      sb.append('}');
    }
    return sb.toString();
  }
}
