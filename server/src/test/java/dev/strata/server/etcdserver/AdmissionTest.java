package dev.strata.server.etcdserver;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.strata.server.EtcdError;
import dev.strata.server.EtcdException;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import org.junit.jupiter.api.Test;

/** etcd's txn admission rules (reference "Validation pipeline", each case verified on etcd 3.4.23). */
class AdmissionTest {

  private final Admission admission = new Admission(1_572_864, 4);

  private static RequestOp put(String k) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(k))).build();
  }

  private static RequestOp del(String k, String end) {
    return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8(k)).setRangeEnd(ByteString.copyFromUtf8(end))).build();
  }

  private static RequestOp txn(TxnRequest.Builder t) {
    return RequestOp.newBuilder().setRequestTxn(t).build();
  }

  private void rejects(TxnRequest.Builder t, EtcdError error) {
    assertThatThrownBy(() -> admission.checkTxn(t.build())).isInstanceOfSatisfying(EtcdException.class,
        e -> org.assertj.core.api.Assertions.assertThat(e.error()).isEqualTo(error));
  }

  private void accepts(TxnRequest.Builder t) {
    assertThatCode(() -> admission.checkTxn(t.build())).doesNotThrowAnyException();
  }

  @Test
  void opsCountTheMaximumAndNestedTxnsGetTheRest() {
    accepts(TxnRequest.newBuilder().addSuccess(put("a")).addSuccess(put("b")).addSuccess(put("c")).addSuccess(put("d"))
        .addFailure(put("a")).addFailure(put("b")).addFailure(put("c")).addFailure(put("d")));
    rejects(TxnRequest.newBuilder().addSuccess(put("a")).addSuccess(put("b")).addSuccess(put("c"))
        .addSuccess(put("d")).addSuccess(put("e")), EtcdError.TOO_MANY_OPS);
    // max 4, parent opc 2: a nested txn of 2 passes, 3 fails
    accepts(TxnRequest.newBuilder().addSuccess(put("a"))
        .addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("x")).addSuccess(put("y")))));
    rejects(TxnRequest.newBuilder().addSuccess(put("a"))
        .addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("x")).addSuccess(put("y")).addSuccess(put("z")))),
        EtcdError.TOO_MANY_OPS);
  }

  @Test
  void emptyOpAndEmptyKeys() {
    rejects(TxnRequest.newBuilder().addSuccess(RequestOp.getDefaultInstance()), EtcdError.KEY_NOT_FOUND);
    rejects(TxnRequest.newBuilder().addSuccess(put("")), EtcdError.KEY_NOT_PROVIDED);
  }

  @Test
  void duplicateKeyIntervals() {
    rejects(TxnRequest.newBuilder().addSuccess(put("a")).addSuccess(put("a")), EtcdError.DUPLICATE_KEY);
    rejects(TxnRequest.newBuilder().addSuccess(del("a", "c")).addSuccess(put("b")), EtcdError.DUPLICATE_KEY);
    rejects(TxnRequest.newBuilder().addSuccess(put("b")).addSuccess(del("a", "c")), EtcdError.DUPLICATE_KEY);
    accepts(TxnRequest.newBuilder().addSuccess(del("a", "c")).addSuccess(del("b", "d")));
    // then/else of one nested txn may write the same key; siblings and parent may not
    accepts(TxnRequest.newBuilder().addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("k")).addFailure(put("k")))));
    rejects(TxnRequest.newBuilder().addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("k"))))
        .addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("k")))), EtcdError.DUPLICATE_KEY);
    rejects(TxnRequest.newBuilder().addSuccess(put("k"))
        .addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("k")))), EtcdError.DUPLICATE_KEY);
    rejects(TxnRequest.newBuilder().addSuccess(del("a", "z"))
        .addSuccess(txn(TxnRequest.newBuilder().addSuccess(put("k")))), EtcdError.DUPLICATE_KEY);
    // quirk: range_end "\0" makes an empty affine interval
    accepts(TxnRequest.newBuilder().addSuccess(put("b")).addSuccess(del("a", "\0")));
  }

  @Test
  void sizeLimitMatchesEtcdBoundary() {
    PutRequest ok = PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setValue(ByteString.copyFrom(new byte[1_572_840])).build();
    PutRequest tooBig = ok.toBuilder().setValue(ByteString.copyFrom(new byte[1_572_841])).build();
    assertThatCode(() -> admission.checkSize(ok.getSerializedSize())).doesNotThrowAnyException();
    assertThatThrownBy(() -> admission.checkSize(tooBig.getSerializedSize())).isInstanceOf(EtcdException.class)
        .hasMessage("etcdserver: request is too large");
  }
}
