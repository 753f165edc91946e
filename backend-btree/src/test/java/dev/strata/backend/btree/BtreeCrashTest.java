package dev.strata.backend.btree;

import dev.strata.backend.BackendCrashTest;
import dev.strata.backend.BackendFactory;

/** The shared kill -9 test on the btree engine: LMDB with MDB_NOSYNC must recover a batch prefix. */
class BtreeCrashTest extends BackendCrashTest {

  @Override
  protected BackendFactory factory() {
    return new BtreeBackendFactory();
  }
}
