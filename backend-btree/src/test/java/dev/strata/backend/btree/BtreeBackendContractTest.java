package dev.strata.backend.btree;

import dev.strata.backend.BackendContractTest;
import dev.strata.backend.BackendFactory;

/** The shared engine contract, run unchanged on the btree engine. */
class BtreeBackendContractTest extends BackendContractTest {

  @Override
  protected BackendFactory factory() {
    return new BtreeBackendFactory();
  }
}
