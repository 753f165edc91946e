package dev.strata.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags of a member started as a process: {@code bin/jvm.options}, the file {@code bin/strata}
 * reads, so tests run members as operators do.
 */
public final class MemberJvm {

  private MemberJvm() {}

  /** The file's flags in order, comments and blank lines dropped. */
  public static List<String> options() {
    Path file = ItPaths.serverDir().resolveSibling("bin").resolve("jvm.options");
    List<String> flags = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        int hash = line.indexOf('#');
        String flag = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (!flag.isEmpty()) {
          flags.add(flag);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the members' JVM flags from " + file, e);
    }
    return flags;
  }
}
