package dev.strata.server.api;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded measuring probe (not a test): {@code PutLoad host:port clients total valueBytes [range]}
 * keeps {@code clients} requests outstanding on one connection and prints requests/s, plus Raft entries
 * (Status raftIndex delta, which also counts Ratis' metadata entries) per second. The real load generator
 * is {@code strata-bench}.
 */
public final class PutLoad {

  public static void main(String[] args) throws Exception {
    String[] hp = args[0].split(":");
    int clients = Integer.parseInt(args[1]);
    int total = Integer.parseInt(args[2]);
    int valueBytes = Integer.parseInt(args[3]);
    boolean range = args.length > 4 && args[4].equals("range");
    ManagedChannel ch = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
    var kv = KVGrpc.newStub(ch);
    var maint = MaintenanceGrpc.newBlockingStub(ch);
    long index0 = maint.status(StatusRequest.getDefaultInstance()).getRaftIndex();
    Semaphore window = new Semaphore(clients);
    CountDownLatch done = new CountDownLatch(total);
    AtomicLong errors = new AtomicLong();
    ByteString value = ByteString.copyFrom(new byte[valueBytes]);
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      window.acquire();
      ByteString key = ByteString.copyFromUtf8("key-" + (i % 10_000));
      StreamObserver<Object> obs = new StreamObserver<>() {
        @Override public void onNext(Object v) {}
        @Override public void onError(Throwable t) {
          errors.incrementAndGet();
          window.release();
          done.countDown();
        }
        @Override public void onCompleted() {
          window.release();
          done.countDown();
        }
      };
      if (range) {
        kv.range(RangeRequest.newBuilder().setKey(key).build(), cast(obs));
      } else {
        kv.put(PutRequest.newBuilder().setKey(key).setValue(value).build(), cast(obs));
      }
    }
    done.await(10, TimeUnit.MINUTES);
    double secs = (System.nanoTime() - start) / 1e9;
    long index1 = maint.status(StatusRequest.getDefaultInstance()).getRaftIndex();
    System.out.printf("%s clients=%d total=%d value=%dB: %.0f requests/s, raft index +%d (%.0f/s), errors=%d, %.2fs%n",
        range ? "range" : "put", clients, total, valueBytes, total / secs, index1 - index0,
        (index1 - index0) / secs, errors.get(), secs);
    ch.shutdownNow();
  }

  @SuppressWarnings("unchecked")
  private static <T> StreamObserver<T> cast(StreamObserver<Object> o) {
    return (StreamObserver<T>) (StreamObserver<?>) o;
  }
}
