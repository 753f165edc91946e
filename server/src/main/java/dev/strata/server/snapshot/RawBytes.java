package dev.strata.server.snapshot;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The internal {@code strata.internal.Snapshot} gRPC service's one method, described by hand with a
 * byte-array marshaller: the payload is {@link LogicalSnapshot}'s own format cut into chunks, so a
 * protobuf schema would add nothing but a build step.
 */
final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {

  static final String SERVICE = "strata.internal.Snapshot";

  /** Request: empty. Response: the logical snapshot stream, in chunks of at most {@link #CHUNK}. */
  static final MethodDescriptor<byte[], byte[]> FETCH = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
      .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Fetch"))
      .setRequestMarshaller(new RawBytes())
      .setResponseMarshaller(new RawBytes())
      .build();

  static final int CHUNK = 1024 * 1024;

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
}
