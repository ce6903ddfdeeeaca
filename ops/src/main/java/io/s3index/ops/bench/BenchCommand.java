package io.s3index.ops.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops bench}: measures s3index against the old ways, side by side, on embedded servers. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Run the benchmarks on embedded servers it starts itself, and print medians and ratios.",
        "Results are also written as JSON and CSV. Benchmarks, not tests: nothing here fails on a figure."})
public final class BenchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--quick", description = "a scaled-down run of everything, in a couple of minutes")
  boolean quick;

  @Option(names = "--only", split = ",", description = "scenarios to run (default: all): ${COMPLETION-CANDIDATES}")
  List<Scenario> only;

  @Option(names = "--out", defaultValue = "bench-results", description = "where to write bench.json and bench.csv (default: ${DEFAULT-VALUE})")
  Path outDir;

  /** The scenarios, in the order they run. */
  public enum Scenario { ingest }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Report report = new Report(out);
    report.context("machine", Runtime.getRuntime().availableProcessors() + " cores, "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB max heap, "
        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
        + System.getProperty("java.version"));
    report.context("mode", quick ? "quick" : "full");
    List<Scenario> scenarios = only == null || only.isEmpty() ? List.of(Scenario.values()) : only;
    out.println("Starting embedded PostgreSQL, Kafka and S3 for the benchmarks ...");
    out.flush();
    try (BenchEnvironment env = new BenchEnvironment()) {
      for (Scenario scenario : scenarios) {
        switch (scenario) {
          case ingest -> {
            new IngestBench(env, out).run(report, quick ? 50_000 : 500_000, 3);
            report.print(IngestBench.SECTION);
          }
          default -> throw new IllegalStateException("unknown scenario " + scenario);
        }
      }
    }
    report.save(outDir);
    out.println();
    out.println(String.format(Locale.ROOT, "Results written to %s/bench.json and bench.csv", outDir));
    return 0;
  }
}
