package io.s3index.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The benchmarks, a runnable jar of their own ({@code bench/target/s3index-bench-*-all.jar}):
 * measures s3index against the old ways, side by side, on embedded servers it starts itself.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Run the benchmarks on embedded servers it starts itself, and print medians and ratios.",
        "Results are also written as JSON and CSV. Benchmarks, not tests: nothing here fails on a figure."})
public final class BenchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--fast-db", description = "run the embedded PostgreSQL without fsync and synchronous commit, as the tests do (to compare with figures measured that way; the default is durable)")
  boolean fastDb;

  @Option(names = "--quick", description = "a scaled-down run of everything, in a couple of minutes")
  boolean quick;

  @Option(names = "--only", split = ",", description = "scenarios to run (default: all): ${COMPLETION-CANDIDATES}")
  List<Scenario> only;

  @Option(names = "--s3-endpoint-objects", description = "objects in the bucket walked through the S3 endpoint at size (default: 1,000,000; 100,000 with --quick)")
  Integer s3EndpointObjects;

  @Option(names = "--scale", description = "run only the scale benchmark: --scale-objects objects over 1,000 buckets of skewed sizes: disk per million, ingest into an empty index and on top of them, pages and folder sizes read through the primary and a streaming replica side by side (a long run)")
  boolean scale;

  @Option(names = "--scale-objects", defaultValue = "50000000", description = "objects for --scale (default: ${DEFAULT-VALUE})")
  long scaleObjects;

  @Option(names = "--out", defaultValue = "bench-results", description = "where to write bench.json and bench.csv (default: ${DEFAULT-VALUE})")
  Path outDir;

  /** The scenarios, in the order they run. */
  public enum Scenario { ingest, folder_sizes_ingest, rebuild, deep_pages, search_sizes, api_overhead, json_writer, index_vs_s3, s3_endpoint, freshness, change_feed, browse, memory }

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Report report = new Report(out);
    report.context("machine", Runtime.getRuntime().availableProcessors() + " cores, "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB max heap, "
        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
        + System.getProperty("java.version"));
    report.context("mode", quick ? "quick" : "full");
    report.context("database", fastDb ? "fast (fsync, synchronous_commit off)" : "durable (fsync, synchronous_commit on)");
    List<Scenario> scenarios = scale ? List.of() : only == null || only.isEmpty() ? List.of(Scenario.values())
        : only.stream().distinct().sorted().toList();
    out.println("Starting embedded PostgreSQL, Kafka and S3 for the benchmarks ...");
    out.flush();
    long catalogSize = quick ? 100_000 : 10_000_000;
    int ingestEvents = quick ? 50_000 : 500_000;
    try (BenchEnvironment env = new BenchEnvironment(!fastDb)) {
      if (scale) {
        report.context("scale", String.format(Locale.ROOT, "%,d objects over %,d buckets", scaleObjects, ScaleBench.BUCKETS));
        new ScaleBench(env, out).run(report, scaleObjects, quick ? 15 : 60, quick ? 20_000 : 500_000);
        report.print(ScaleBench.SECTION);
      }
      IngestBench ingest = new IngestBench(env, out);
      boolean filled = false;
      Catalog catalog = null;
      try {
        for (Scenario scenario : scenarios) {
          out.println();
          out.println("--- " + scenario + " ---");
          out.flush();
          if ((scenario == Scenario.ingest || scenario == Scenario.rebuild || scenario == Scenario.memory
              || scenario == Scenario.folder_sizes_ingest) && !filled
              && scenario != Scenario.ingest) {
            IngestBench.fill(env, "bench-ingest", ingestEvents, out);
            filled = true;
          }
          if ((scenario == Scenario.deep_pages || scenario == Scenario.api_overhead || scenario == Scenario.json_writer
              || scenario == Scenario.search_sizes
              || scenario == Scenario.index_vs_s3
              || scenario == Scenario.memory) && catalog == null) {
            catalog = new Catalog(env, catalogSize, out);
          }
          switch (scenario) {
            case ingest -> {
              ingest.run(report, ingestEvents, 3, java.time.Duration.ofSeconds(quick ? 5 : 60));
              filled = true;
              report.print(IngestBench.SECTION);
            }
            case folder_sizes_ingest -> {
              ingest.folderCounts(report, "bench-ingest", ingestEvents, quick ? 1 : 3);
              report.print(IngestBench.FOLDERS);
            }
            case search_sizes -> {
              new SearchSizesBench(catalog, out).run(report, quick ? 15 : 60);
              report.print(SearchSizesBench.SECTION);
            }
            case rebuild -> {
              ingest.duringRebuild(report, ingestEvents);
              report.print(IngestBench.SECTION);
            }
            case deep_pages -> {
              long[] depths = quick ? new long[] {0, 20_000, 50_000, -1} : new long[] {0, 1_000_000, 5_000_000, -1};
              new DeepPagesBench(catalog, out).run(report, depths, quick ? 15 : 60, quick ? 2 : 3);
              report.print(DeepPagesBench.SECTION);
            }
            case api_overhead -> {
              int[] clients = quick ? new int[] {4, 8} : new int[] {4, 8, 16};
              new ApiOverheadBench(catalog, out)
                  .run(report, clients, quick ? 2 : 6, quick ? 2_000 : 5_000, quick ? 4_000 : 40_000);
              report.print(ApiOverheadBench.SECTION);
            }
            case json_writer -> {
              new JsonWriterBench(catalog, out).run(report, 8, quick ? 3 : 8, quick ? 1_500 : 2_000, quick ? 8_000 : 15_000);
              report.print(JsonWriterBench.SECTION);
            }
            case index_vs_s3 -> {
              new IndexVsS3Bench(env, catalog, out).run(report, quick ? 300 : 2_000, quick ? 15 : 40);
              report.print(IndexVsS3Bench.SECTION);
            }
            case s3_endpoint -> {
              new S3EndpointBench(env, out).run(report, quick ? 20_000 : 100_000,
                  s3EndpointObjects != null ? s3EndpointObjects : quick ? 100_000 : 1_000_000, quick ? 2 : 3);
              report.print(S3EndpointBench.SECTION);
            }
            case freshness -> {
              new FreshnessBench(env, out).run(report, 1000, quick ? 4 : 10, quick ? 6 : 30);
              report.print(FreshnessBench.SECTION);
            }
            case change_feed -> {
              new ChangeFeedBench(env, out).run(report, quick ? 30 : 200, quick ? 20_000 : 200_000);
              report.print(ChangeFeedBench.SECTION);
            }
            case browse -> {
              new BrowseBench(env, out).run(report, quick ? 100_000 : 1_000_000, quick ? 5 : 15);
              report.print(BrowseBench.SECTION);
            }
            case memory -> {
              new MemoryBench(env, out).run(report, "bench-ingest", ingestEvents, catalog.database.config(),
                  catalogSize, quick ? 10 : 30);
              report.print(MemoryBench.SECTION);
            }
            default -> throw new IllegalStateException("unknown scenario " + scenario);
          }
        }
      } finally {
        if (catalog != null) {
          catalog.close();
        }
      }
    }
    report.save(outDir);
    out.println();
    out.println(String.format(Locale.ROOT, "Results written to %s/bench.json and bench.csv", outDir));
    return 0;
  }
}
