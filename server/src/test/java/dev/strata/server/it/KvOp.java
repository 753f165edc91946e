package dev.strata.server.it;

import com.google.protobuf.Message;

/**
 * One generated request. {@code kind} names its flavour (e.g. {@code range/prefix/sort}) so that
 * mismatches can be grouped; {@code request} is sent unchanged to every server.
 */
record KvOp(int index, String kind, Message request) {
  @Override
  public String toString() {
    return "#" + index + " " + kind + " " + request.getClass().getSimpleName() + " "
        + Protos.brief(request);
  }
}
