package dev.strata.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bytes that are not a protobuf message fail the one call; the member keeps serving. */
class MalformedRequestTest {

  @TempDir
  Path dir;

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  @Test
  void garbageFailsTheCallOnly() throws Exception {
    try (TestMember m = TestMember.start(dir, "btree", TestMember.freePort())) {
      MethodDescriptor<byte[], byte[]> put = KVGrpc.getPutMethod().toBuilder(RAW, RAW).build();
      // field 1 (key) claims 100 bytes but the message ends: truncated length-delimited field
      byte[] garbage = {0x0a, 0x64, 0x01, 0x02, (byte) 0xff, (byte) 0xff, (byte) 0xff};
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(m.channel, put,
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), garbage))
          .isInstanceOf(StatusRuntimeException.class);
      var ok = KVGrpc.newBlockingStub(m.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build());
      assertThat(ok.getHeader().getRevision()).isEqualTo(2);
      assertThat(m.halted.get()).isNull();
    }
  }
}
