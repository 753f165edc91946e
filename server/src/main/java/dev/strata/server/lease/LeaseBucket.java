package dev.strata.server.lease;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.strata.backend.Backend;
import dev.strata.backend.Bucket;
import dev.strata.backend.Cursor;
import dev.strata.backend.ReadView;
import dev.strata.server.lease.proto.Lease;
import dev.strata.server.mvcc.MvccStore;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LEASE bucket in etcd's encoding (key: 8-byte big-endian id; value: {@code leasepb.Lease{ID, TTL,
 * RemainingTTL}}), written through the MVCC store's current batch so that a lease change is durable
 * exactly with the applied index covering it; and the startup rebuild of the lessor from it.
 */
public final class LeaseBucket {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseBucket.class);
  /** Keys per page while scanning live keys for their leases at startup. */
  private static final int SCAN_PAGE = 1000;

  private LeaseBucket() {}

  static byte[] value(long id, long ttl, long remainingTtl) {
    return Lease.newBuilder().setID(id).setTTL(ttl).setRemainingTTL(remainingTtl).build().toByteArray();
  }

  /** Apply thread: stages the lease record in the store's batch. */
  static void put(MvccStore mvcc, long id, long ttl, long remainingTtl) {
    mvcc.putLease(id, value(id, ttl, remainingTtl));
  }

  /**
   * Rebuilds {@code lessor} from the committed LEASE bucket and the live keys' {@code lease} fields
   * (etcd's {@code initAndRecover} plus the kvstore restore's Attach). Call before Raft applies
   * anything: at that point everything is committed, so a read view sees it all.
   */
  public static void restore(Backend backend, MvccStore mvcc, Lessor lessor) {
    int leases = 0;
    try (ReadView view = backend.readView(); Cursor c = view.cursor(Bucket.LEASE, null, null)) {
      while (c.next()) {
        Lease l = parse(c.key(), c.value());
        lessor.restore(l.getID(), l.getTTL(), l.getRemainingTTL());
        leases++;
      }
    }
    int attached = 0;
    int orphans = 0;
    ByteString from = ByteString.copyFrom(new byte[] {0});
    while (true) {
      RangeResponse page = mvcc.range(RangeRequest.newBuilder().setKey(from)
          .setRangeEnd(ByteString.copyFrom(new byte[] {0})).setLimit(SCAN_PAGE).setKeysOnly(true).build());
      for (KeyValue kv : page.getKvsList()) {
        if (kv.getLease() != 0) {
          if (lessor.attach(kv.getKey(), kv.getLease())) {
            attached++;
          } else {
            orphans++; // etcd logs "unexpected Attach error" and goes on
          }
        }
      }
      if (!page.getMore() || page.getKvsCount() == 0) {
        break;
      }
      from = page.getKvs(page.getKvsCount() - 1).getKey().concat(ByteString.copyFrom(new byte[] {0}));
    }
    if (orphans > 0) {
      LOG.warn("keys attached to missing leases: count={}", orphans);
    }
    LOG.info("lessor restored: leases={} attachedKeys={}", leases, attached);
  }

  /**
   * Rebuilds {@code lessor} after the store behind {@code mvcc} was replaced (snapshot install, etcd's
   * {@code lessor.Recover}); on the apply thread, while nothing applies.
   */
  public static void reload(Backend backend, MvccStore mvcc, Lessor lessor) {
    lessor.clearForRestore();
    restore(backend, mvcc, lessor);
  }

  private static Lease parse(byte[] key, byte[] value) {
    try {
      Lease l = Lease.parseFrom(value);
      if (key.length != 8 || ByteBuffer.wrap(key).getLong() != l.getID()) {
        throw new IllegalStateException("LEASE bucket key does not match lease id " + l.getID());
      }
      return l;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("LEASE bucket entry is not a leasepb.Lease", e);
    }
  }
}
