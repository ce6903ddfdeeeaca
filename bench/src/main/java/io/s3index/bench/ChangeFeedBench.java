package io.s3index.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The change feed: how soon a waiting long poll delivers a committed change, how fast one client
 * reads a backlog, and how soon the read-your-writes lookup answers once the indexer applied the
 * event it waits for.
 */
final class ChangeFeedBench {

  static final String SECTION = "change feed (commit -> long poll; backlog read; read-your-writes)";
  private static final String BUCKET = "bench-feed";

  private final BenchEnvironment env;
  private final PrintWriter out;
  private final ObjectMapper mapper = new ObjectMapper();

  ChangeFeedBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  private JsonNode json(Http http, String url) {
    try {
      return mapper.readTree(http.get(url));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void run(Report report, int samples, int backlog) throws Exception {
    String topic = "bench-feed-events";
    env.kafka.createTopic(topic, 4);
    DatabaseConfig db = env.postgres.createDatabase("bench_feed");
    try (Database database = new Database(db, "bench-feed");
         Indexer indexer = Indexer.start(IndexerConfig.of(env.kafka.bootstrapServers(), topic, db)
             .withGroupId("bench-feed"), database);
         QueryApi api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database);
         EventPublisher publisher = new EventPublisher(env.kafka.bootstrapServers(), topic)) {
      String base = "http://127.0.0.1:" + api.port() + "/v1/buckets/" + BUCKET;
      Http http = new Http();

      // 1. Commit -> delivered to a waiting long poll: a row committed straight into the index
      // while a request with wait=10 waits on the position before it.
      double[] latency = new double[samples];
      String cursor = json(http, base + "/changes").get("pagination").get("next_cursor").asText();
      for (int i = 0; i < samples; i++) {
        String from = cursor;
        CompletableFuture<JsonNode> poll = CompletableFuture.supplyAsync(
            () -> json(new Http(), base + "/changes?wait=10&cursor=" + from));
        String key = "poll/" + i;
        database.jdbi().useHandle(h -> h.createUpdate("""
                INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, deleted, event_time)
                VALUES (:b, :k, 1, 'e', now(), '01', false, now())""")
            .bind("b", BUCKET).bind("k", key).execute());
        long committedAt = System.nanoTime();
        JsonNode page = poll.get(30, TimeUnit.SECONDS);
        long delivered = System.nanoTime();
        if (page.get("data").size() != 1 || !page.get("data").get(0).get("key").asText().equals(key)) {
          throw new IllegalStateException("the long poll answered " + page);
        }
        latency[i] = Math.max(0, (delivered - committedAt) / 1e6);
        cursor = page.get("pagination").get("next_cursor").asText();
      }
      report.add(SECTION, "commit -> delivered to a waiting long poll, median", Report.percentile(latency, 50), "ms",
          String.format(Locale.ROOT, "%d samples; p99 %.1f ms; the API checks after 5 ms, then 1.5x later each time up to every 100 ms", samples,
              Report.percentile(latency, 99)));
      report.add(SECTION, "commit -> delivered, p99", Report.percentile(latency, 99), "ms", null);

      // 2. One client reads a backlog of changes, 1,000 a page.
      String before = json(http, base + "/changes").get("pagination").get("next_cursor").asText();
      database.jdbi().useHandle(h -> h.createUpdate("""
              INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, deleted, event_time)
              SELECT :b, 'backlog/' || lpad(i::text, 9, '0'), i, 'e', now(), '01', false, now()
              FROM generate_series(1, :n) i""").bind("b", BUCKET).bind("n", backlog).execute());
      long started = System.nanoTime();
      long read = 0;
      String at = before;
      while (true) {
        JsonNode page = json(http, base + "/changes?page_size=1000&cursor=" + at);
        read += page.get("data").size();
        at = page.get("pagination").get("next_cursor").asText();
        if (!page.get("pagination").get("has_more").asBoolean()) {
          break;
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      report.add(SECTION, "backlog read by one client", read / seconds, "changes/s",
          String.format(Locale.ROOT, "%,d changes in pages of 1,000 in %.2f s", read, seconds));

      // 3. Read-your-writes: publish an event, ask for its ETag with wait; time from the moment
      // the indexer's transaction stamped the row (indexed_at) to the answer.
      org.awaitility.Awaitility.await("the indexer holds its partitions").atMost(Duration.ofSeconds(60))
          .until(() -> indexer.assignment().size() == 4);
      double[] ryw = new double[samples];
      for (int i = 0; i < samples; i++) {
        String key = "ryw/" + i;
        String etag = "etag-" + i;
        CompletableFuture<byte[]> lookup = CompletableFuture.supplyAsync(
            () -> new Http().get(base + "/objects/" + key.replace("/", "%2F") + "?wait=10&etag=" + etag));
        publisher.publishAll(java.util.List.of(new ObjectEvent(BUCKET, key, ObjectEvent.Kind.CREATED, 1, etag, null,
            Sequencer.normalize(String.format(Locale.ROOT, "%016X", i + 1)), Instant.now(), "ObjectCreated:Put")),
            Duration.ofSeconds(10));
        lookup.get(30, TimeUnit.SECONDS);
        Instant answered = Instant.now();
        OffsetDateTime applied = database.jdbi().withHandle(h -> h.createQuery(
                "SELECT indexed_at FROM objects WHERE bucket = :b AND key = :k")
            .bind("b", BUCKET).bind("k", key).mapTo(OffsetDateTime.class).one());
        ryw[i] = Math.max(0, Duration.between(applied.toInstant(), answered).toNanos() / 1e6);
      }
      report.add(SECTION, "read-your-writes: event applied -> lookup answered, median", Report.percentile(ryw, 50), "ms",
          String.format(Locale.ROOT, "%d samples; p99 %.1f ms; from the indexer transaction's start (indexed_at)",
              samples, Report.percentile(ryw, 99)));
      out.flush();
    }
  }
}
