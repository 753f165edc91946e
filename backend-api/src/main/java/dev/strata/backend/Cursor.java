package dev.strata.backend;

/**
 * A forward iterator over one bucket of a {@link ReadView}, in unsigned byte order of keys.
 *
 * <p>Usage: {@code while (c.next()) { use(c.key(), c.value()); }}. Before the first {@link #next()}
 * and after it returned {@code false}, {@link #key()} and {@link #value()} throw
 * {@link IllegalStateException}.
 */
public interface Cursor extends AutoCloseable {

  /** Advances to the next pair; returns {@code false} when the range is exhausted. */
  boolean next();

  /** Returns a copy, owned by the caller, of the current key. */
  byte[] key();

  /** Returns a copy, owned by the caller, of the current value. */
  byte[] value();

  /** Idempotent. */
  @Override
  void close();
}
