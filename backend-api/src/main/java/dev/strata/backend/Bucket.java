package dev.strata.backend;

/**
 * The closed set of key spaces a member stores, named exactly like etcd's bbolt buckets so that the
 * logical format (and therefore HashKV and etcd imports) matches etcd.
 *
 * <p>The numeric {@link #id()} is part of the on-disk format of some engines and of
 * {@link CanonicalHash}: never renumber a bucket, only append new ones.
 */
public enum Bucket {
  KEY(1, "key"),
  META(2, "meta"),
  LEASE(3, "lease"),
  AUTH(4, "auth"),
  AUTH_USERS(5, "authUsers"),
  AUTH_ROLES(6, "authRoles"),
  MEMBERS(7, "members"),
  MEMBERS_REMOVED(8, "members_removed"),
  ALARM(9, "alarm"),
  CLUSTER(10, "cluster");

  private static final Bucket[] BY_ID = new Bucket[11];

  static {
    for (Bucket b : values()) {
      BY_ID[b.id] = b;
    }
  }

  private final int id;
  private final String etcdName;

  Bucket(int id, String etcdName) {
    this.id = id;
    this.etcdName = etcdName;
  }

  /** Stable numeric id, 1..255. */
  public int id() {
    return id;
  }

  /** The bucket's name in etcd's bbolt schema ({@code server/storage/schema/bucket.go}). */
  public String etcdName() {
    return etcdName;
  }

  /**
   * Returns the bucket with the given stable id.
   *
   * @throws IllegalArgumentException if no bucket has that id
   */
  public static Bucket byId(int id) {
    if (id <= 0 || id >= BY_ID.length || BY_ID[id] == null) {
      throw new IllegalArgumentException("unknown bucket id: " + id);
    }
    return BY_ID[id];
  }
}
