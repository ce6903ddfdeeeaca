package io.s3index.bench;

import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.S3EventFormat;
import io.s3index.shared.events.Sequencer;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Freshness: events published at a steady rate, each sampled one timed until the API serves it. */
final class FreshnessBench {

  static final String SECTION = "freshness (event published -> visible through the API)";
  private static final int POLLERS = 4;

  private final BenchEnvironment env;
  private final PrintWriter out;

  FreshnessBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  /**
   * @param warmupSeconds how long events flow at the same rate before any is timed: in a fresh
   *     JVM the indexer falls seconds behind while the JIT compiles it, which is start-up, not
   *     freshness
   */
  void run(Report report, int perSecond, int warmupSeconds, int seconds) throws Exception {
    String topic = "bench-freshness";
    env.kafka.createTopic(topic, 4);
    DatabaseConfig db = env.postgres.createDatabase("bench_freshness");
    int warmup = perSecond * warmupSeconds;
    int total = warmup + perSecond * seconds;
    long[] sentAt = new long[total];
    List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    double[] indexerSide;
    double[] getTimes;
    try (Database database = new Database(db, "bench-fresh");
         Indexer indexer = Indexer.start(IndexerConfig.of(env.kafka.bootstrapServers(), topic, db)
             .withGroupId("bench-freshness"), database);
         QueryApi api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database);
         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(withNoLinger(
             io.s3index.shared.events.ProducerSettings.durable(env.kafka.bootstrapServers(), "s3index-bench-freshness")),
             new StringSerializer(), new ByteArraySerializer())) {
      org.awaitility.Awaitility.await("the indexer holds its partitions").atMost(java.time.Duration.ofSeconds(60))
          .until(() -> indexer.assignment().size() == 4);
      S3EventFormat format = new S3EventFormat();
      Thread publisher = new Thread(() -> {
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
          long due = start + (long) (i * 1e9 / perSecond);
          while (System.nanoTime() < due) {
            LockSupport.parkNanos(100_000);
          }
          ObjectEvent e = new ObjectEvent("fresh", String.format(Locale.ROOT, "f/%08d", i), ObjectEvent.Kind.CREATED,
              i, "e", null, Sequencer.normalize(String.format(Locale.ROOT, "%016X", i + 1L)), Instant.now(), "ObjectCreated:Put");
          sentAt[i] = System.nanoTime();
          producer.send(new ProducerRecord<>(topic, S3EventFormat.messageKey(e), format.toJson(e)));
        }
      }, "freshness-publisher");
      publisher.start();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + api.port() + "/v1/buckets/fresh/objects/";
      // POLLERS threads, each timing every POLLERS-th sample in turn, polling every 2 ms (finer
      // only measures the pollers, which share the two cores with what they time). One poller
      // alone would time its own backlog whenever a GET took longer than the 10 ms between
      // samples: the API's latency under this load, not the index's freshness.
      List<Double> gets = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> pollers = new ArrayList<>();
      for (int t = 0; t < POLLERS; t++) {
        int first = warmup + 10 * t;
        Thread poller = new Thread(() -> {
          try {
            for (int i = first; i < total; i += 10 * POLLERS) {
              while (sentAt[i] == 0) {
                LockSupport.parkNanos(200_000);
              }
              HttpRequest request = HttpRequest.newBuilder(URI.create(base + String.format(Locale.ROOT, "f/%08d", i))).build();
              while (true) {
                long asked = System.nanoTime();
                int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                gets.add((System.nanoTime() - asked) / 1e6);
                if (status == 200) {
                  break;
                }
                LockSupport.parkNanos(2_000_000);
              }
              latencies.add((System.nanoTime() - sentAt[i]) / 1e6);
            }
          } catch (Exception e) {
            throw new IllegalStateException("polling failed", e);
          }
        }, "freshness-poller-" + t);
        poller.start();
        pollers.add(poller);
      }
      for (Thread poller : pollers) {
        poller.join();
      }
      getTimes = gets.stream().mapToDouble(Double::doubleValue).toArray();
      publisher.join();
      // The indexer's side alone, from the rows: event time (set when published) to the start of
      // the transaction that applied it.
      indexerSide = database.jdbi().withHandle(h -> h.createQuery("""
              SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)
              FROM (SELECT extract(epoch FROM indexed_at - event_time) * 1000 AS ms
                    FROM objects WHERE bucket = 'fresh' AND key >= :from) t""")
          .bind("from", String.format(Locale.ROOT, "f/%08d", warmup))
          .map((rs, c) -> new double[] {rs.getDouble(1), rs.getDouble(2)}).one());
    }
    double[] l = latencies.stream().mapToDouble(Double::doubleValue).toArray();
    report.add(SECTION, "median", Report.median(l), "ms",
        String.format(Locale.ROOT, "%d events/s for %d s after %d s unmeasured, every 10th event timed (%d samples)",
            perSecond, seconds, warmupSeconds, l.length));
    report.add(SECTION, "p99", Report.percentile(l, 99), "ms", "target < 1,000 ms");
    report.add(SECTION, "max", Report.percentile(l, 100), "ms", null);
    report.add(SECTION, "one GET of an object while polling, median / p99", Report.median(getTimes), "ms",
        String.format(Locale.ROOT, "p99 %.1f ms over %,d GETs by %d pollers", Report.percentile(getTimes, 99), getTimes.length, POLLERS));
    report.add(SECTION, "published -> applied by the indexer (event time to its transaction's start), median", indexerSide[0], "ms",
        "every measured event, from the rows");
    report.add(SECTION, "published -> applied by the indexer, p99", indexerSide[1], "ms", null);
    out.printf(Locale.ROOT, "  freshness median %.0f ms, p99 %.0f ms%n", Report.median(l), Report.percentile(l, 99));
    out.flush();
  }

  private static Map<String, Object> withNoLinger(Map<String, Object> config) {
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return config;
  }
}
