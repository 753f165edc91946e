package dev.strata.server.watch;

import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;

/**
 * etcd ≥ 3.4 watch fields that jetcd-grpc 0.8.5's rpc.proto lacks, read and written as unknown fields
 * with etcd's field numbers ({@code etcdserverpb/rpc.proto}): {@code WatchCreateRequest.watch_id = 7},
 * {@code WatchCreateRequest.fragment = 8}, {@code WatchResponse.fragment = 7}.
 */
public final class WireFields {

  static final int CREATE_WATCH_ID = 7;
  static final int CREATE_FRAGMENT = 8;
  static final int RESPONSE_FRAGMENT = 7;

  private WireFields() {}

  /** The client-chosen watch id, 0 (auto) if absent. */
  public static long watchId(WatchCreateRequest c) {
    return lastVarint(c.getUnknownFields(), CREATE_WATCH_ID);
  }

  public static boolean fragment(WatchCreateRequest c) {
    return lastVarint(c.getUnknownFields(), CREATE_FRAGMENT) != 0;
  }

  public static boolean isFragment(WatchResponse r) {
    return lastVarint(r.getUnknownFields(), RESPONSE_FRAGMENT) != 0;
  }

  /** Sets {@code fragment = true} on a response being built. */
  static WatchResponse.Builder markFragment(WatchResponse.Builder b) {
    return b.setUnknownFields(UnknownFieldSet.newBuilder(b.getUnknownFields())
        .addField(RESPONSE_FRAGMENT, varint(1)).build());
  }

  /** A create request carrying {@code watch_id} and {@code fragment} (for clients and tests). */
  public static WatchCreateRequest.Builder withIdAndFragment(WatchCreateRequest.Builder b, long watchId,
      boolean fragment) {
    UnknownFieldSet.Builder u = UnknownFieldSet.newBuilder(b.getUnknownFields());
    if (watchId != 0) {
      u.addField(CREATE_WATCH_ID, varint(watchId));
    }
    if (fragment) {
      u.addField(CREATE_FRAGMENT, varint(1));
    }
    return b.setUnknownFields(u.build());
  }

  private static UnknownFieldSet.Field varint(long v) {
    return UnknownFieldSet.Field.newBuilder().addVarint(v).build();
  }

  private static long lastVarint(UnknownFieldSet u, int field) {
    if (!u.hasField(field)) {
      return 0;
    }
    var varints = u.getField(field).getVarintList();
    return varints.isEmpty() ? 0 : varints.get(varints.size() - 1);
  }
}
