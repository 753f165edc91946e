package dev.strata.server.it;

import static dev.strata.server.it.Protos.bs;

import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Sends the same seeded operations to a reference (real etcd) and a candidate, compares every
 * answer, and at the end compares HashKV. Keeps going after a mismatch (up to a limit) unless the
 * two stores' states diverged, which would make every later comparison noise. Mismatches are
 * grouped by signature (op kind, both answers' shape, reason); the limit counts distinct ones. Writes a readable
 * report (op number, op, both answers) to {@code target/it-logs/differential-<label>-<seed>.txt}.
 */
final class DifferentialRunner {
  /** One disagreement. */
  record Mismatch(KvOp op, Outcome expected, Outcome actual, String reason) {
    /** Same op kind, same answers' shape, same kind of reason: one bug, reported once. */
    String signature() {
      return op.kind() + " | etcd " + (expected.ok() ? "OK" : expected.error()) + " | candidate "
          + (actual.ok() ? "OK" : actual.error()) + " | " + reason.replaceAll("\\s*\\(.*", "");
    }

    String render(String candidate) {
      return op + "\n  reason:  " + reason + "\n  etcd:    " + expected + "\n  " + candidate + ": " + actual + "\n";
    }
  }

  /** What a run found. */
  record Report(long seed, int opsRun, List<Mismatch> mismatches, String stoppedEarly, Path file,
      Duration elapsed) {
    boolean clean() {
      return mismatches.isEmpty() && stoppedEarly == null;
    }

    Map<String, List<Mismatch>> bySignature() {
      var groups = new LinkedHashMap<String, List<Mismatch>>();
      mismatches.forEach(m -> groups.computeIfAbsent(m.signature(), k -> new ArrayList<>()).add(m));
      return groups;
    }

    String summary() {
      return "seed=" + seed + " ops=" + opsRun + " mismatches=" + mismatches.size() + " distinct="
          + bySignature().size()
          + (stoppedEarly == null ? "" : " stopped: " + stoppedEarly) + " elapsed=" + elapsed.toSeconds()
          + "s report=" + file;
    }
  }

  /** Op kinds not sent, e.g. a known, accepted difference: {@code -Dstrata.diff.skipKinds=a,b}. */
  private static final Set<String> SKIPPED_KINDS = Arrays.stream(System.getProperty("strata.diff.skipKinds", "")
      .split(",")).map(String::trim).filter(k -> !k.isEmpty()).collect(Collectors.toSet());

  private final String label;
  private final KvClient reference;
  private final KvClient candidate;
  private final int maxMismatches;

  DifferentialRunner(String label, KvClient reference, KvClient candidate, int maxMismatches) {
    this.label = label;
    this.reference = reference;
    this.candidate = candidate;
    this.maxMismatches = maxMismatches;
  }

  Report run(long seed, int ops) {
    long start = System.nanoTime();
    var gen = new KvOpGenerator(seed);
    var mismatches = new ArrayList<Mismatch>();
    Map<String, int[]> kinds = new TreeMap<>();
    Map<String, Integer> answers = new TreeMap<>();
    var signatures = new HashSet<String>();
    String stop = null;
    int run = 0;
    while (run < ops && stop == null) {
      KvOp op = gen.next();
      run++;
      if (SKIPPED_KINDS.contains(op.kind())) {
        continue; // generated (so the stream stays the same for a seed) but not sent
      }
      Outcome expected = reference.call(op.request());
      Outcome actual = candidate.call(op.request());
      gen.observe(op, expected);
      String why = compare(op, expected, actual);
      String group = group(op.kind());
      kinds.computeIfAbsent(group, k -> new int[2])[0]++;
      answers.merge(expected.ok() ? "OK" : expected.error(), 1, Integer::sum);
      if (why != null) {
        kinds.get(group)[1]++;
        var mismatch = new Mismatch(op, expected, actual, why);
        mismatches.add(mismatch);
        signatures.add(mismatch.signature());
        stop = stopReason(op, expected, actual, signatures.size());
      }
    }
    if (stop == null) {
      stop = finalHashCheck(gen, mismatches);
    }
    var report = new Report(seed, run, mismatches, stop, reportFile(seed), Duration.ofNanos(System.nanoTime() - start));
    write(report, kinds, answers);
    return report;
  }

  private String compare(KvOp op, Outcome expected, Outcome actual) {
    String why = ResponseComparator.compare(op, expected, actual, reference::call);
    if (why != null && op.request() instanceof HashKVRequest) {
      // Compaction with physical=false finishes in the background; HashKV may see it half done.
      var last = new Outcome[2];
      boolean agreed = Await.until(() -> {
        last[0] = reference.call(op.request());
        last[1] = candidate.call(op.request());
        return ResponseComparator.compare(op, last[0], last[1], reference::call) == null;
      }, Duration.ofSeconds(5));
      return agreed ? null : why + " (still after 5 s: etcd " + last[0] + " / candidate " + last[1] + ")";
    }
    return why;
  }

  private String stopReason(KvOp op, Outcome expected, Outcome actual, int count) {
    if (expected.code() == Status.Code.UNAVAILABLE || expected.code() == Status.Code.DEADLINE_EXCEEDED) {
      return "etcd did not answer op #" + op.index() + " (" + expected.error() + ")";
    }
    if (actual.code() == Status.Code.UNAVAILABLE || actual.code() == Status.Code.DEADLINE_EXCEEDED) {
      return "candidate did not answer op #" + op.index() + " (" + actual.error() + ")";
    }
    boolean readOnly = op.request() instanceof RangeRequest || op.request() instanceof HashKVRequest;
    if (!readOnly && expected.ok() != actual.ok()) {
      return "states diverged at op #" + op.index() + " (one applied, one refused)";
    }
    if (expected.ok() && actual.ok() && revisionOf(expected) != revisionOf(actual)) {
      return "revisions diverged at op #" + op.index();
    }
    return count >= maxMismatches ? "reached " + maxMismatches + " distinct mismatches" : null;
  }

  private String finalHashCheck(KvOpGenerator gen, List<Mismatch> mismatches) {
    // One more write so the current revision is above any compaction (HashKV at the compaction
    // point itself is an error in etcd <= 3.4.26).
    KvOp put = gen.op("final/put", PutRequest.newBuilder().setKey(bs("zz/final")).setValue(bs("end")).build());
    KvOp hash = gen.op("final/hashkv", HashKVRequest.newBuilder().setRevision(0).build());
    for (KvOp op : List.of(put, hash)) {
      Outcome expected = reference.call(op.request());
      Outcome actual = candidate.call(op.request());
      String why = compare(op, expected, actual);
      if (why != null) {
        mismatches.add(new Mismatch(op, expected, actual, why));
        return "final " + op.kind() + " differs";
      }
    }
    return null;
  }

  private static long revisionOf(Outcome o) {
    var fd = o.response().getDescriptorForType().findFieldByName("header");
    return fd == null ? 0 : ((ResponseHeader) o.response().getField(fd)).getRevision();
  }

  private Path reportFile(long seed) {
    return ItPaths.targetDir().resolve("it-logs").resolve("differential-" + label + "-" + seed + ".txt");
  }

  /** Ranges are grouped by shape only (range/<shape>/* = with options); other kinds are few enough to list as they are. */
  private static String group(String kind) {
    String[] parts = kind.split("/");
    return parts[0].equals("range") && parts.length > 2 ? parts[0] + "/" + parts[1] + "/*" : kind;
  }

  private void write(Report report, Map<String, int[]> kinds, Map<String, Integer> answers) {
    var text = new StringBuilder();
    text.append("differential ").append(label).append(": ").append(report.summary()).append("\n");
    text.append("replay: -Dstrata.seed=").append(report.seed()).append("\n\n");
    report.bySignature().forEach((signature, group) -> {
      text.append("=== ").append(group.size()).append(" x ").append(signature).append("\n");
      group.stream().limit(3).forEach(m -> text.append(m.render(candidate.name())).append("\n"));
    });
    text.append("ops by kind (count, mismatches):\n");
    kinds.forEach((kind, c) -> text.append(String.format("  %-48s %6d %4d%n", kind, c[0], c[1])));
    text.append("etcd's answers:\n");
    answers.forEach((answer, n) -> text.append(String.format("  %6d  %s%n", n, answer)));
    try {
      Files.createDirectories(report.file().getParent());
      Files.writeString(report.file(), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println(text);
  }
}
