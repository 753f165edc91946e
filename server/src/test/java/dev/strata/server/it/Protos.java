package dev.strata.server.it;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import io.etcd.jetcd.api.ResponseHeader;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Small protobuf and byte-key helpers shared by the differential harness. */
final class Protos {
  static final Comparator<ByteString> UNSIGNED = ByteString.unsignedLexicographicalComparator();
  private static final int MAX_PRINTED_BYTES = 48;
  private static final int MAX_PRINTED_CHARS = 6000;

  private Protos() {}

  static ByteString bs(String utf8) {
    return ByteString.copyFromUtf8(utf8);
  }

  static ByteString raw(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return ByteString.copyFrom(b);
  }

  /** etcd's GetPrefixRangeEnd: increment the last byte below 0xff; all-0xff prefixes mean "\0". */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] b = prefix.toByteArray();
    for (int i = b.length - 1; i >= 0; i--) {
      if ((b[i] & 0xff) < 0xff) {
        b[i]++;
        return ByteString.copyFrom(b, 0, i + 1);
      }
    }
    return raw(0);
  }

  /** The response without the member-specific header fields (cluster_id, member_id, raft_term). */
  @SuppressWarnings("unchecked")
  static <M extends Message> M stripHeader(M response) {
    FieldDescriptor fd = response.getDescriptorForType().findFieldByName("header");
    if (fd == null || !response.hasField(fd)) {
      return response;
    }
    var header = (ResponseHeader) response.getField(fd);
    return (M) response.toBuilder()
        .setField(fd, header.toBuilder().clearClusterId().clearMemberId().clearRaftTerm().build())
        .build();
  }

  /** One-line text form with long byte strings abbreviated, for diffs and logs. */
  static String brief(Message m) {
    String text = TextFormat.printer().shortDebugString(redact(m));
    return text.length() <= MAX_PRINTED_CHARS ? text
        : text.substring(0, MAX_PRINTED_CHARS) + "…(" + text.length() + " chars)";
  }

  private static Message redact(Message m) {
    Message.Builder b = m.toBuilder();
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor fd = e.getKey();
      if (fd.isRepeated()) {
        b.clearField(fd);
        for (Object item : (List<?>) e.getValue()) {
          b.addRepeatedField(fd, redactValue(item));
        }
      } else {
        b.setField(fd, redactValue(e.getValue()));
      }
    }
    return b.build();
  }

  private static Object redactValue(Object value) {
    if (value instanceof Message m) {
      return redact(m);
    }
    if (value instanceof ByteString bytes && bytes.size() > MAX_PRINTED_BYTES) {
      String head = HexFormat.of().formatHex(bytes.substring(0, 8).toByteArray());
      return ByteString.copyFrom("<" + bytes.size() + " bytes, hash " + Integer.toHexString(bytes.hashCode())
          + ", starts " + head + ">", StandardCharsets.UTF_8);
    }
    return value;
  }
}
