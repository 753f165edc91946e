package dev.strata.backend.lsm;

import dev.strata.backend.BackendCrashTest;
import dev.strata.backend.BackendFactory;

/** The shared kill -9 test, run against the lsm engine (WAL disabled: only flushed batches survive). */
class LsmCrashTest extends BackendCrashTest {

  @Override
  protected BackendFactory factory() {
    return new LsmBackendFactory();
  }
}
