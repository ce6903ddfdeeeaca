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
    List<Double> latencies = new ArrayList<>();
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
      for (int i = warmup; i < total; i += 10) {
        while (sentAt[i] == 0) {
          LockSupport.parkNanos(200_000);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + String.format(Locale.ROOT, "f/%08d", i))).build();
        // Every 2 ms: finer than that only measures the poller, which shares the two cores with
        // the indexer, the broker and the database it is timing.
        while (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
          LockSupport.parkNanos(2_000_000);
        }
        latencies.add((System.nanoTime() - sentAt[i]) / 1e6);
      }
      publisher.join();
    }
    double[] l = latencies.stream().mapToDouble(Double::doubleValue).toArray();
    report.add(SECTION, "median", Report.median(l), "ms",
        String.format(Locale.ROOT, "%d events/s for %d s after %d s unmeasured, every 10th event timed (%d samples)",
            perSecond, seconds, warmupSeconds, l.length));
    report.add(SECTION, "p99", Report.percentile(l, 99), "ms", "target < 1,000 ms");
    report.add(SECTION, "max", Report.percentile(l, 100), "ms", null);
    out.printf(Locale.ROOT, "  freshness median %.0f ms, p99 %.0f ms%n", Report.median(l), Report.percentile(l, 99));
    out.flush();
  }

  private static Map<String, Object> withNoLinger(Map<String, Object> config) {
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return config;
  }
}
