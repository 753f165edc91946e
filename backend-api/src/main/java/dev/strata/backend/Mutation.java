package dev.strata.backend;

/**
 * One change recorded in a {@link MutationBatch}. Engines translate the sequence into their native
 * batch at commit time. Arrays held here are private copies; engines must not modify them.
 */
public sealed interface Mutation {

  Bucket bucket();

  /** Sets {@code key} to {@code value}. */
  record Put(Bucket bucket, byte[] key, byte[] value) implements Mutation {}

  /** Removes {@code key}. */
  record Delete(Bucket bucket, byte[] key) implements Mutation {}

  /** Removes {@code [from, to)}; a {@code null} bound is the start or end of the bucket. */
  record DeleteRange(Bucket bucket, byte[] from, byte[] to) implements Mutation {}
}
