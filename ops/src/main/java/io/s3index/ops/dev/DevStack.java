package io.s3index.ops.dev;

import io.s3index.embedded.EmbeddedKafka;
import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.embedded.EmbeddedS3;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.shared.db.DatabaseConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The whole system in one process: embedded PostgreSQL, Kafka and S3, then the indexer and the
 * query API on them. Closing it stops everything in reverse order.
 */
public final class DevStack implements AutoCloseable {

  /** Ports (0 = any free one; -1 = off for the S3-compatible endpoint), topic and optional data folder. */
  public record Options(int kafkaPort, int apiPort, int s3Port, int dbPort,
      int indexerMetricsPort, String topic, Path dataDir, int s3ApiPort) {}

  private final Deque<AutoCloseable> running = new ArrayDeque<>();
  private String bootstrapServers;
  private URI s3Endpoint;
  private DatabaseConfig database;
  private String apiUrl;
  private String s3ApiUrl;
  private String topic;

  private DevStack() {}

  public static DevStack start(Options options) {
    DevStack stack = new DevStack();
    try {
      stack.boot(options);
      return stack;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  private void boot(Options o) {
    topic = o.topic();
    // With a data directory, dev mode keeps what it says it keeps: commits survive a crash.
    EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(o.dbPort(),
        o.dataDir() == null ? null : o.dataDir().resolve("postgres"), o.dataDir() != null);
    running.push(postgres);
    database = postgres.createDatabase("s3index");
    EmbeddedKafka kafka = EmbeddedKafka.start("localhost", o.kafkaPort(),
        o.dataDir() == null ? null : o.dataDir().resolve("kafka"));
    running.push(kafka);
    kafka.createTopic(topic, 4);
    kafka.createTopic(topic + ".dlq", 1);
    bootstrapServers = kafka.bootstrapServers();
    EmbeddedS3 s3 = EmbeddedS3.start("localhost", o.s3Port());
    running.push(s3);
    s3Endpoint = s3.endpoint();
    // Enrichment against the embedded S3, as production would against its store.
    running.push(Indexer.start(IndexerConfig.of(bootstrapServers, topic, database)
        .withEnrichment(new S3Settings(s3Endpoint, "us-east-1", EmbeddedS3.ACCESS_KEY,
            EmbeddedS3.SECRET_KEY, true))
        .withMetricsPort(o.indexerMetricsPort())));
    // The S3-compatible endpoint, open like the API, streams GetObject from the embedded S3.
    S3ApiConfig s3Api = o.s3ApiPort() < 0 ? S3ApiConfig.off() : S3ApiConfig.open(o.s3ApiPort())
        .withOrigin(new S3ApiConfig.Origin(s3Endpoint, EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, "us-east-1"));
    QueryApi api = QueryApi.start(ApiConfig.of("localhost", o.apiPort(), database).withS3Api(s3Api));
    running.push(api);
    apiUrl = "http://localhost:" + api.port();
    s3ApiUrl = api.s3Port() < 0 ? null : "http://localhost:" + api.s3Port();
  }

  /** Uploads {@code count} sample objects to {@code bucket}, emits their events, waits until listed. */
  public int loadDemo(String bucket, int count, java.io.PrintWriter out) {
    new DemoData(s3Endpoint, bootstrapServers, topic, out).load(bucket, count);
    return DemoData.awaitIndexed(apiUrl, bucket, count, out);
  }

  /** The S3-compatible endpoint's URL, or null when it is off. */
  public String s3ApiUrl() {
    return s3ApiUrl;
  }

  public String apiUrl() {
    return apiUrl;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public URI s3Endpoint() {
    return s3Endpoint;
  }

  public DatabaseConfig database() {
    return database;
  }

  public String topic() {
    return topic;
  }

  @Override
  public void close() {
    synchronized (running) {
      while (!running.isEmpty()) {
        try {
          running.pop().close();
        } catch (Exception e) {
          // Keep stopping the rest; a server that fails to stop is reported by its own log.
        }
      }
    }
  }
}
