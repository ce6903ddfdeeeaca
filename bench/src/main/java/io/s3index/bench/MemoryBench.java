package io.s3index.bench;

import io.s3index.embedded.FreePorts;
import io.s3index.indexer.IndexerMain;
import io.s3index.queryapi.QueryApiMain;
import io.s3index.shared.db.DatabaseConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Memory: the indexer and the API each run as their own process with {@code -Xmx256m}, under
 * load (the indexer ingesting the benchmark topic, the API serving pages to 4 clients); peak RSS
 * from /proc, peak heap from their own metrics.
 */
final class MemoryBench {

  static final String SECTION = "memory (each in its own JVM with -Xmx256m, under load)";

  private final BenchEnvironment env;
  private final PrintWriter out;

  MemoryBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  private static int freePort() {
    return FreePorts.loopback();
  }

  private static Process start(Class<?> main, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), main.getName());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    return pb.start();
  }

  /** Peak resident set size of a process, in MiB (VmHWM). */
  private static double peakRss(Process p) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  /** Heap in use (MiB) as the process's own Prometheus metrics report it. */
  private static double heap(HttpClient http, int port) {
    try {
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      double sum = 0;
      for (String line : metrics.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum / (1024 * 1024);
    } catch (IOException | InterruptedException | RuntimeException e) {
      return 0;
    }
  }

  void run(Report report, String ingestTopic, long ingestEvents, DatabaseConfig catalogDb, long catalogObjects,
      long seconds) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    DatabaseConfig db = env.postgres.createDatabase("bench_memory");
    int indexerMetrics = freePort();
    Process indexer = start(IndexerMain.class, Map.of(
        "S3INDEX_KAFKA_BOOTSTRAP_SERVERS", env.kafka.bootstrapServers(), "S3INDEX_TOPIC", ingestTopic,
        "S3INDEX_GROUP_ID", "bench-memory", "S3INDEX_DB_URL", db.jdbcUrl(), "S3INDEX_DB_USER", db.user(),
        "S3INDEX_DB_PASSWORD", db.password(), "S3INDEX_INDEXER_METRICS_PORT", Integer.toString(indexerMetrics)));
    int apiPort = freePort();
    Process api = start(QueryApiMain.class, Map.of(
        "S3INDEX_API_PORT", Integer.toString(apiPort), "S3INDEX_API_HOST", "127.0.0.1", "S3INDEX_API_OPEN", "true",
        "S3INDEX_DB_URL", catalogDb.jdbcUrl(), "S3INDEX_DB_USER", catalogDb.user(),
        "S3INDEX_DB_PASSWORD", catalogDb.password(), "S3INDEX_API_RATE_LIMIT", "0"));
    try {
      double indexerHeap = 0;
      double apiHeap = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(seconds, 5));
      AtomicLong pages = new AtomicLong();
      List<Thread> clients = new java.util.ArrayList<>();
      for (int c = 0; c < 4; c++) {
        Random random = new Random(c);
        Thread t = new Thread(() -> {
          HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          while (System.nanoTime() < deadline) {
            long g = 1 + (long) (random.nextDouble() * catalogObjects);
            String after = String.format(Locale.ROOT, "data/%04d/object-%010d", g % 1000, g);
            try {
              HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort
                  + "/v1/buckets/deep/objects?page_size=1000&start_after=" + after.replace("/", "%2F"))).build(),
                  HttpResponse.BodyHandlers.discarding());
              if (r.statusCode() == 200) {
                pages.incrementAndGet();
              }
            } catch (IOException | InterruptedException e) {
              LockSupport.parkNanos(50_000_000);
            }
          }
        });
        clients.add(t);
        t.start();
      }
      while (System.nanoTime() < deadline) {
        indexerHeap = Math.max(indexerHeap, heap(http, indexerMetrics));
        apiHeap = Math.max(apiHeap, heap(http, apiPort));
        LockSupport.parkNanos(200_000_000);
      }
      for (Thread t : clients) {
        t.join();
      }
      double indexerRss = peakRss(indexer);
      double apiRss = peakRss(api);
      report.add(SECTION, "indexer peak heap", indexerHeap, "MiB", "sampled from its /metrics every 200 ms");
      report.add(SECTION, "indexer peak RSS", indexerRss, "MiB", "VmHWM; batches of 5000 events");
      report.add(SECTION, "API peak heap", apiHeap, "MiB", String.format(Locale.ROOT, "%,d pages of 1000 served", pages.get()));
      report.add(SECTION, "API peak RSS", apiRss, "MiB", "VmHWM");
      report.add(SECTION, "-Xmx each needs", 256, "MiB", "both ran their load under -Xmx256m without an OutOfMemoryError");
      out.printf(Locale.ROOT, "  indexer heap %.0f MiB (RSS %.0f), API heap %.0f MiB (RSS %.0f)%n",
          indexerHeap, indexerRss, apiHeap, apiRss);
      out.flush();
      if (!indexer.isAlive() || !api.isAlive()) {
        throw new IllegalStateException("a process died under -Xmx256m");
      }
    } finally {
      indexer.destroy();
      api.destroy();
      indexer.waitFor(30, TimeUnit.SECONDS);
      api.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
