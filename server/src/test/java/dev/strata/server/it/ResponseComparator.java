package dev.strata.server.it;

import com.google.protobuf.Message;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.function.Function;

/**
 * Decides whether a candidate's answer is one etcd could have given, given etcd's own answer.
 * Errors must match in gRPC code and message; responses must be equal once the member-specific
 * header fields (cluster_id, member_id, raft_term) are stripped from the top-level header. The one
 * freedom etcd has is the order of ties when sorting by version/create/mod/value (Go's sort.Sort is
 * unstable): such kvs are compared in canonical order, and when a limit may cut through a tie group
 * the candidate's kvs only need to be distinct members of the full result with the same sort values.
 */
final class ResponseComparator {
  private static final int HASH_REVISION = 4;

  private ResponseComparator() {}

  /**
   * Returns null if {@code actual} is acceptable, else the reason. {@code reference} re-asks the
   * reference server (used only for read-only re-queries).
   */
  static String compare(KvOp op, Outcome expected, Outcome actual, Function<Message, Outcome> reference) {
    if (!expected.ok() || !actual.ok()) {
      if (!expected.ok() && !actual.ok()) {
        return expected.error().equals(actual.error()) ? null : "errors differ";
      }
      return expected.ok() ? "etcd succeeded, candidate failed" : "etcd failed, candidate succeeded";
    }
    Message e = Protos.stripHeader(expected.response());
    Message a = Protos.stripHeader(actual.response());
    if (op.request() instanceof HashKVRequest h && a instanceof HashKVResponse hash) {
      String why = checkHashRevision(h, hash);
      if (why != null) {
        return why;
      }
      a = hash.toBuilder().setUnknownFields(hash.getUnknownFields().toBuilder().clearField(HASH_REVISION).build()).build();
    }
    if (e.equals(a)) {
      return null;
    }
    if (op.request() instanceof RangeRequest r && sortsOnNonKey(r)) {
      return compareSortedRange(r, (RangeResponse) e, (RangeResponse) a, reference);
    }
    if (op.request() instanceof TxnRequest t) {
      var problems = new ArrayList<String>();
      TxnResponse ce = canonicalTxn(t, (TxnResponse) e, new ArrayList<>());
      TxnResponse ca = canonicalTxn(t, (TxnResponse) a, problems);
      if (!problems.isEmpty()) {
        return String.join("; ", problems);
      }
      return ce.equals(ca) ? null : "responses differ";
    }
    return "responses differ";
  }

  /**
   * etcd 3.5 added {@code HashKVResponse.hash_revision} (field 4, unknown to 3.4 and to jetcd 0.8.5's
   * proto): the requested revision, or the current one for 0 ({@code [5]server/mvcc/hash.go}). A
   * candidate speaking 3.5 may send it; if it does, it must hold that value.
   */
  private static String checkHashRevision(HashKVRequest request, HashKVResponse response) {
    var field = response.getUnknownFields().getField(HASH_REVISION);
    if (field == null || field.getVarintList().isEmpty()) {
      return null;
    }
    long sent = field.getVarintList().get(0);
    long want = request.getRevision() == 0 ? response.getHeader().getRevision() : request.getRevision();
    return sent == want ? null : "hash_revision " + sent + ", etcd 3.5 would send " + want;
  }

  /** etcd sorts (NONE with a non-key target means ASCEND); unknown orders leave key order. */
  static boolean sortsOnNonKey(RangeRequest r) {
    return r.getSortTargetValue() != 0 && r.getSortOrderValue() <= 2;
  }

  private static String compareSortedRange(RangeRequest r, RangeResponse e, RangeResponse a,
      Function<Message, Outcome> reference) {
    if (!e.getHeader().equals(a.getHeader()) || e.getCount() != a.getCount() || e.getMore() != a.getMore()
        || e.getKvsCount() != a.getKvsCount()) {
      return "responses differ (header, count, more or number of kvs)";
    }
    if (!sortKeys(r, a.getKvsList()).equals(sortKeys(r, e.getKvsList()))) {
      return "kvs not in " + r.getSortOrder() + " order of " + r.getSortTarget()
          + " (sort values differ from etcd's)";
    }
    if (canonical(r, e.getKvsList()).equals(canonical(r, a.getKvsList()))) {
      return null;
    }
    if (r.getLimit() <= 0 || e.getKvsCount() < r.getLimit()) {
      return "responses differ (same sort values, different kvs)";
    }
    // A limit cut through a tie group: any members of the group are right. Ask etcd for all.
    long rev = r.getRevision() > 0 ? r.getRevision() : e.getHeader().getRevision();
    Outcome full = reference.apply(r.toBuilder().clearLimit().setRevision(rev).build());
    if (!full.ok()) {
      return "responses differ (re-query of etcd failed: " + full.error() + ")";
    }
    var all = new HashSet<>(((RangeResponse) full.response()).getKvsList());
    var keys = new HashSet<>();
    for (KeyValue kv : a.getKvsList()) {
      if (!all.contains(kv) || !keys.add(kv.getKey())) {
        return "kv " + Protos.brief(kv) + " is not in etcd's unlimited result (or repeated)";
      }
    }
    return null;
  }

  private static TxnResponse canonicalTxn(TxnRequest t, TxnResponse resp, List<String> problems) {
    List<RequestOp> branch = resp.getSucceeded() ? t.getSuccessList() : t.getFailureList();
    if (branch.size() != resp.getResponsesCount()) {
      return resp;
    }
    var b = resp.toBuilder();
    for (int i = 0; i < branch.size(); i++) {
      RequestOp req = branch.get(i);
      ResponseOp res = resp.getResponses(i);
      if (req.hasRequestRange() && res.hasResponseRange() && sortsOnNonKey(req.getRequestRange())) {
        RangeRequest r = req.getRequestRange();
        List<KeyValue> kvs = res.getResponseRange().getKvsList();
        if (!isSorted(r, kvs)) {
          problems.add("txn op " + i + ": kvs not in " + r.getSortOrder() + " order of " + r.getSortTarget());
        }
        b.setResponses(i, res.toBuilder().setResponseRange(
            res.getResponseRange().toBuilder().clearKvs().addAllKvs(canonical(r, kvs))));
      } else if (req.hasRequestTxn() && res.hasResponseTxn()) {
        b.setResponses(i, res.toBuilder().setResponseTxn(
            canonicalTxn(req.getRequestTxn(), res.getResponseTxn(), problems)));
      }
    }
    return b.build();
  }

  private static List<Object> sortKeys(RangeRequest r, List<KeyValue> kvs) {
    return kvs.stream().map(kv -> sortKey(r, kv)).toList();
  }

  private static boolean isSorted(RangeRequest r, List<KeyValue> kvs) {
    Comparator<KeyValue> order = order(r);
    for (int i = 1; i < kvs.size(); i++) {
      if (order.compare(kvs.get(i - 1), kvs.get(i)) > 0) {
        return false;
      }
    }
    return true;
  }

  private static List<KeyValue> canonical(RangeRequest r, List<KeyValue> kvs) {
    return kvs.stream().sorted(order(r).thenComparing(KeyValue::getKey, Protos.UNSIGNED)).toList();
  }

  private static Comparator<KeyValue> order(RangeRequest r) {
    Comparator<KeyValue> asc = switch (r.getSortTarget()) {
      case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
      case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE -> Comparator.comparing(KeyValue::getValue, Protos.UNSIGNED);
      default -> Comparator.comparing(KeyValue::getKey, Protos.UNSIGNED);
    };
    return r.getSortOrder() == RangeRequest.SortOrder.DESCEND ? asc.reversed() : asc;
  }

  private static Object sortKey(RangeRequest r, KeyValue kv) {
    return switch (r.getSortTarget()) {
      case VERSION -> kv.getVersion();
      case CREATE -> kv.getCreateRevision();
      case MOD -> kv.getModRevision();
      case VALUE -> kv.getValue();
      default -> kv.getKey();
    };
  }
}
