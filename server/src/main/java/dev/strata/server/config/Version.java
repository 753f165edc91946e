package dev.strata.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Strata's own version (from the build) and the etcd server version whose API it implements. */
public final class Version {

  /** Reported as the server version in Status and by {@code --version}: clients gate features on it. */
  public static final String ETCD_API = "3.5.0";

  /** etcd's cluster-level API version ({@code 3.5}). */
  public static final String ETCD_CLUSTER = "3.5.0";

  private Version() {}

  public static String strata() {
    try (InputStream in = Version.class.getResourceAsStream("/dev/strata/server/version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
