package dev.strata.server.mvcc;

import dev.strata.backend.Backend;
import dev.strata.backend.ReadView;

/**
 * A backend read view opened on first use and closed with this object, so that requests served
 * entirely from the read buffer (or the index) open none. One thread, one request.
 */
final class LazyView implements AutoCloseable {

  private final Backend backend;
  private ReadView view;

  LazyView(Backend backend) {
    this.backend = backend;
  }

  ReadView get() {
    if (view == null) {
      view = backend.readView();
    }
    return view;
  }

  @Override
  public void close() {
    if (view != null) {
      view.close();
      view = null;
    }
  }
}
