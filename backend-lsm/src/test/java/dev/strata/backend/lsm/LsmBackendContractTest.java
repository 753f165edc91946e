package dev.strata.backend.lsm;

import dev.strata.backend.BackendContractTest;
import dev.strata.backend.BackendFactory;

/** The shared engine contract, run against the lsm engine. */
class LsmBackendContractTest extends BackendContractTest {

  @Override
  protected BackendFactory factory() {
    return new LsmBackendFactory();
  }
}
