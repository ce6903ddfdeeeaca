package io.s3index.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * API overhead: pages of 100 over HTTP with several concurrent clients, versus the same SQL over
 * JDBC at the same concurrency, in the same process, against the same table.
 */
final class ApiOverheadBench {

  static final String SECTION = "API overhead (page of 100: the same page over HTTP and over JDBC)";
  private static final String SQL = """
      SELECT key, size, etag, content_type, last_modified, storage_class, version_id,
             metadata::text AS metadata
      FROM objects WHERE bucket = :bucket AND NOT deleted AND key > :after ORDER BY key ASC LIMIT 101""";

  private final Catalog catalog;
  private final PrintWriter out;

  ApiOverheadBench(Catalog catalog, PrintWriter out) {
    this.catalog = catalog;
    this.out = out;
  }

  private String randomKey(Random random) {
    long g = 1 + (long) (random.nextDouble() * catalog.objects);
    return String.format(Locale.ROOT, "data/%04d/object-%010d", g % 1000, g);
  }

  private record Result(double pagesPerSecond, double[] latenciesMs) {}

  private Result measure(int clients, long millis, java.util.function.BiConsumer<Random, String> page) throws InterruptedException {
    AtomicLong pages = new AtomicLong();
    ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
    long end = System.nanoTime() + millis * 1_000_000;
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Random random = new Random(c);
      Thread t = new Thread(() -> {
        while (System.nanoTime() < end) {
          long start = System.nanoTime();
          page.accept(random, randomKey(random));
          latencies.add((System.nanoTime() - start) / 1e6);
          pages.incrementAndGet();
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double[] l = latencies.stream().mapToDouble(Double::doubleValue).toArray();
    return new Result(pages.get() / (millis / 1000.0), l);
  }

  /** wrk on the PATH (Debian package "wrk"), a C load generator that leaves the cores to the server. */
  private static String wrk() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      java.nio.file.Path p = java.nio.file.Path.of(dir, "wrk");
      if (java.nio.file.Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /**
   * With wrk: one page at a fixed depth, over HTTP by wrk (2 threads, one connection per client)
   * and the same query over JDBC by as many threads, at each client count. Both warm up first,
   * then they take turns, a round each at a time, every client count in every round: this
   * machine's speed drifts by a fifth over minutes, so one long run of each would compare two
   * different machines. Each ratio is the median of its rounds' ratios.
   *
   * <p>Several client counts, because at 4 clients on 2 cores the HTTP path cannot keep both
   * cores busy (each page crosses more threads and processes, and their wake-ups leave the CPU
   * idle a tenth of the time) while the JDBC path can: there the ratio measures wake-up latency
   * as much as overhead. From 8 clients both paths saturate the CPU.
   */
  private boolean withWrk(Report report, int[] clientCounts, int rounds, long roundMillis, long warmupMillis)
      throws Exception {
    String wrk = wrk();
    if (wrk == null) {
      return false;
    }
    String after = randomKey(new Random(7));
    String url = catalog.url("/v1/buckets/" + Catalog.BUCKET + "/objects?page_size=100&cursor="
        + catalog.cursors.after(Catalog.BUCKET, "page_size=100", null, after));
    long seconds = Math.max(1, roundMillis / 1000);
    long warmupSeconds = Math.max(3, warmupMillis / 1000);
    out.println("  HTTP load: wrk -t2 -c<clients> -d" + seconds + "s --latency '" + url + "'");
    out.flush();
    // Both paths warm up as long: the HTTP path is far more code for the JIT to compile, on the
    // same two cores that serve the load.
    run(List.of(wrk, "-t2", "-c" + clientCounts[0], "-d" + warmupSeconds + "s", url));
    measure(clientCounts[0], warmupSeconds * 1000, (r, k) -> jdbc(after));
    int levels = clientCounts.length;
    double[][] http = new double[levels][rounds];
    double[][] viaJdbc = new double[levels][rounds];
    double[][] ratios = new double[levels][rounds];
    double[][] httpP50 = new double[levels][rounds];
    double[][] httpP99 = new double[levels][rounds];
    List<List<Double>> jdbcLatencies = new ArrayList<>();
    for (int c = 0; c < levels; c++) {
      jdbcLatencies.add(new ArrayList<>());
    }
    for (int i = 0; i < rounds; i++) {
      for (int c = 0; c < levels; c++) {
        int clients = clientCounts[c];
        String output = run(List.of(wrk, "-t2", "-c" + clients, "-d" + seconds + "s", "--latency", url));
        http[c][i] = Double.parseDouble(output.replaceAll("(?s).*Requests/sec:\\s+([0-9.]+).*", "$1"));
        httpP50[c][i] = millis(output.replaceAll("(?s).*\\s50%\\s+(\\S+).*", "$1"));
        httpP99[c][i] = millis(output.replaceAll("(?s).*\\s99%\\s+(\\S+).*", "$1"));
        Result round = measure(clients, seconds * 1000, (r, k) -> jdbc(after));
        viaJdbc[c][i] = round.pagesPerSecond();
        for (double l : round.latenciesMs()) {
          jdbcLatencies.get(c).add(l);
        }
        ratios[c][i] = http[c][i] / viaJdbc[c][i];
        out.printf(Locale.ROOT, "  round %d, %2d clients: wrk %,.0f pages/s, JDBC %,.0f pages/s, %.2fx%n", i + 1,
            clients, http[c][i], viaJdbc[c][i], ratios[c][i]);
        out.flush();
      }
    }
    for (int c = 0; c < levels; c++) {
      int clients = clientCounts[c];
      double[] l = jdbcLatencies.get(c).stream().mapToDouble(Double::doubleValue).toArray();
      report.add(SECTION, clients + " clients: HTTP pages per second (wrk)", Report.percentile(http[c], 50),
          "pages/s", String.format(Locale.ROOT, "median of %d rounds of %d s; p50 %.2f ms, p99 %.2f ms "
              + "(medians of the rounds')", rounds, seconds, Report.percentile(httpP50[c], 50),
              Report.percentile(httpP99[c], 50)));
      report.add(SECTION, clients + " clients: same SQL over JDBC, pages per second",
          Report.percentile(viaJdbc[c], 50), "pages/s", String.format(Locale.ROOT,
              "median of %d rounds; p50 %.2f ms, p99 %.2f ms", rounds, Report.percentile(l, 50),
              Report.percentile(l, 99)));
      report.add(SECTION, clients + " clients: HTTP / JDBC throughput", Report.percentile(ratios[c], 50), "x",
          String.format(Locale.ROOT, "target >= 0.5; median of the rounds' ratios (lowest %.2f, highest %.2f)",
              Arrays.stream(ratios[c]).min().orElse(0), Arrays.stream(ratios[c]).max().orElse(0)));
    }
    return true;
  }

  /** A wrk latency ("812.00us", "1.20ms", "2.01s") in milliseconds. */
  private static double millis(String wrkLatency) {
    double value = Double.parseDouble(wrkLatency.replaceAll("[a-z]+$", ""));
    if (wrkLatency.endsWith("us")) {
      return value / 1000;
    }
    if (wrkLatency.endsWith("ms")) {
      return value;
    }
    if (wrkLatency.endsWith("s")) {
      return value * 1000;
    }
    throw new IllegalArgumentException("unexpected wrk latency " + wrkLatency);
  }

  private static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
    }
    return output;
  }

  /**
   * @param clientCounts the concurrencies measured, each path at each (with wrk; without, the first)
   * @param rounds how many turns each path takes, alternating (with wrk)
   * @param roundMillis how long each turn lasts
   * @param warmupMillis how long each path runs first, unmeasured (the JIT compiles the HTTP path
   *     under load for about half a minute on two cores before its rate settles)
   */
  void run(Report report, int[] clientCounts, int rounds, long roundMillis, long warmupMillis) throws Exception {
    if (withWrk(report, clientCounts, rounds, roundMillis, warmupMillis)) {
      return;
    }
    long millis = rounds * roundMillis;
    int clients = clientCounts[0];
    Http http = new Http();
    // Cursors minted at random depths: each HTTP page is then the single keyset query below.
    Random mint = new Random(42);
    String[] urls = new String[4096];
    for (int i = 0; i < urls.length; i++) {
      urls[i] = catalog.url("/v1/buckets/" + Catalog.BUCKET + "/objects?page_size=100&cursor="
          + catalog.cursors.after(Catalog.BUCKET, "page_size=100", null, randomKey(mint)));
    }
    java.util.function.BiConsumer<Random, String> overHttp = (r, k) -> http.get(urls[r.nextInt(urls.length)]);
    // Warm both paths first.
    measure(clients, warmupMillis, overHttp);
    Result viaHttp = measure(clients, millis, overHttp);
    measure(clients, warmupMillis, (r, k) -> jdbc(k));
    Result viaJdbc = measure(clients, millis, (r, k) -> jdbc(k));
    report.add(SECTION, clients + " clients: HTTP pages per second", viaHttp.pagesPerSecond(), "pages/s",
        String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", Report.percentile(viaHttp.latenciesMs(), 50),
            Report.percentile(viaHttp.latenciesMs(), 99)));
    report.add(SECTION, clients + " clients: same SQL over JDBC, pages per second", viaJdbc.pagesPerSecond(), "pages/s",
        String.format(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms", Report.percentile(viaJdbc.latenciesMs(), 50),
            Report.percentile(viaJdbc.latenciesMs(), 99)));
    report.add(SECTION, clients + " clients: HTTP / JDBC throughput", viaHttp.pagesPerSecond() / viaJdbc.pagesPerSecond(), "x",
        "target >= 0.5; no wrk on the PATH: the Java clients share the 2 cores with server and PostgreSQL");
    out.printf(Locale.ROOT, "  HTTP %,.0f pages/s, JDBC %,.0f pages/s%n", viaHttp.pagesPerSecond(), viaJdbc.pagesPerSecond());
    out.flush();
  }

  private void jdbc(String after) {
    catalog.database.jdbi().useHandle(h -> h.createQuery(SQL)
        .bind("bucket", Catalog.BUCKET).bind("after", after).mapToMap().list());
  }
}
