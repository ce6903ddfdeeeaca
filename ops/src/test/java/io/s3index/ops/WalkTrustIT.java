package io.s3index.ops;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.indexer.IndexerStats;
import io.s3index.indexer.enrich.Enricher;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A sync client walks a bucket of 10,300 objects in small pages, sorted by size, while one of the
 * operations that rewrite rows without changing any object runs between its pages: a rebuild
 * swap, enrichment of the walked objects, reconcile --fix, backfill, purge-tombstones. Each walk
 * returns every object exactly once.
 */
class WalkTrustIT {

  private static final String BUCKET = "walked";
  private static final String TOPIC = "walk-trust-events";
  private static DatabaseConfig db;
  private static Database database;
  private static S3Client s3;
  private static S3Settings store;
  private static EventPublisher publisher;
  private static Indexer indexer;
  private static QueryApi api;
  private static ApiClient client;
  private static String[] connection;

  @BeforeAll
  static void start() throws Exception {
    TestServers.kafka().createTopic(TOPIC, 2);
    db = TestServers.postgres().createDatabase("walk_trust");
    database = new Database(db, "walk-trust");
    database.migrate();
    S3Server server = TestServers.s3();
    store = new S3Settings(server.endpoint(), "us-east-1", TestServers.s3().accessKey(), TestServers.s3().secretKey(), true);
    s3 = store.client(16);
    s3.createBucket(b -> b.bucket(BUCKET));
    connection = new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password(),
        "--s3-endpoint", server.endpoint().toString(), "--s3-access-key", TestServers.s3().accessKey(),
        "--s3-secret-key", TestServers.s3().secretKey(),
        "--bootstrap-servers", TestServers.kafka().bootstrapServers(), "--topic", TOPIC, "--group", "walk-live"};
    // 10,000 objects only the bucket knows of (backfilled), 300 that events describe exactly as
    // the bucket holds them, and 100 deleted ones (tombstones).
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<String>> puts = new ArrayList<>();
    for (int i = 0; i < 10_300; i++) {
      String key = i < 10_000 ? String.format(Locale.ROOT, "o/%05d", i) : String.format(Locale.ROOT, "e/%03d", i - 10_000);
      String body = "x".repeat(i % 997);
      puts.add(pool.submit(() -> s3.putObject(b -> b.bucket(BUCKET).key(key).contentType("text/plain"),
          RequestBody.fromString(body)).eTag().replace("\"", "")));
    }
    List<ObjectEvent> events = new ArrayList<>();
    for (int i = 10_000; i < 10_300; i++) {
      String key = String.format(Locale.ROOT, "e/%03d", i - 10_000);
      events.add(new ObjectEvent(BUCKET, key, ObjectEvent.Kind.CREATED, i % 997, puts.get(i).get(), null,
          seq(i), Instant.ofEpochSecond(1_700_000_000L + i), "ObjectCreated:Put"));
    }
    for (Future<String> put : puts) {
      put.get();
    }
    pool.shutdown();
    for (int i = 0; i < 100; i++) {
      String key = String.format(Locale.ROOT, "d/%03d", i);
      events.add(new ObjectEvent(BUCKET, key, ObjectEvent.Kind.CREATED, 1, "e", null, seq(20_000 + i),
          Instant.ofEpochSecond(1_700_000_000L), "ObjectCreated:Put"));
      events.add(new ObjectEvent(BUCKET, key, ObjectEvent.Kind.REMOVED, 0, null, null, seq(30_000 + i),
          Instant.ofEpochSecond(1_700_000_001L), "ObjectRemoved:Delete"));
    }
    publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), TOPIC);
    publisher.publishAll(events, Duration.ofSeconds(60));
    indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), TOPIC, db)
        .withGroupId("walk-live"), database);
    Waits.until("the events are indexed", Duration.ofSeconds(60), () -> indexer.stats().records() >= events.size(), indexer::describe);
    OpsRun backfill = run("backfill", "--bucket", BUCKET);
    assertThat(backfill.exit()).as(backfill.err()).isZero();
    api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database);
    client = new ApiClient(api.port());
    assertThat(liveKeys()).hasSize(10_300);
  }

  @AfterAll
  static void stop() {
    api.close();
    indexer.close();
    publisher.close();
    s3.close();
    database.close();
  }

  private static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }


  private static OpsRun run(String... args) {
    return OpsRun.run(connection, args);
  }

  private static Set<String> liveKeys() {
    return new HashSet<>(database.jdbi().withHandle(h -> h.createQuery(
        "SELECT key FROM objects WHERE bucket = :b AND NOT deleted").bind("b", BUCKET).mapTo(String.class).list()));
  }

  /**
   * Walks the bucket in pages of 250 by size; after the eighth page runs {@code midway}. Asserts
   * that every object is returned exactly once (nothing changed an object meanwhile).
   */
  private static void walkAcross(String what, Runnable midway) {
    Set<String> before = liveKeys();
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      ApiClient.Response page = client.get("/v1/buckets/" + BUCKET + "/objects?page_size=250&sort_by=size"
          + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(page.status()).as(what + ": page " + pages).isEqualTo(200);
      for (JsonNode row : page.body().get("data")) {
        seen.add(row.get("key").asText());
      }
      JsonNode next = page.body().get("pagination").get("next_cursor");
      cursor = next == null || next.isNull() ? null : next.asText();
      if (++pages == 8) {
        midway.run();
      }
    } while (cursor != null);
    assertThat(pages).as(what + ": the operation ran mid-walk").isGreaterThan(8);
    assertThat(new HashSet<>(seen)).as(what + ": no duplicate").hasSize(seen.size());
    assertThat(new HashSet<>(seen)).as(what + ": every unchanged object").isEqualTo(before);
    assertThat(liveKeys()).as(what + ": the operation changed no object").isEqualTo(before);
  }

  @Test
  void aWalkSpansARebuildSwap() {
    walkAcross("rebuild", () -> {
      OpsRun rebuild = run("rebuild");
      assertThat(rebuild.exit()).as(rebuild.out() + rebuild.err()).isZero();
      assertThat(rebuild.out()).contains("swapped in the rebuilt index");
    });
  }

  @Test
  void aWalkSpansEnrichmentOfTheWalkedObjects() {
    walkAcross("enrichment", () -> {
      database.jdbi().useHandle(h -> h.execute("""
          INSERT INTO enrichment_queue (bucket, key, sequencer)
          SELECT bucket, key, sequencer FROM objects WHERE bucket = 'walked' AND NOT deleted
          ON CONFLICT DO NOTHING"""));
      try (Enricher enricher = new Enricher(store.client(16), database.jdbi(), Enricher.Settings.defaults(8),
          new IndexerStats())) {
        enricher.wake();
        await("the walked objects are enriched").atMost(Duration.ofSeconds(120)).until(() -> database.jdbi().withHandle(
            h -> h.createQuery("SELECT count(*) FROM enrichment_queue").mapTo(Long.class).one()) == 0);
      }
      long enriched = database.jdbi().withHandle(h -> h.createQuery(
          "SELECT count(*) FROM objects WHERE bucket = 'walked' AND content_type = 'text/plain'").mapTo(Long.class).one());
      assertThat(enriched).as("objects whose row enrichment rewrote").isEqualTo(10_300);
    });
  }

  @Test
  void aWalkSpansReconcileFix() {
    walkAcross("reconcile --fix", () -> {
      OpsRun fix = run("reconcile", "--bucket", BUCKET, "--fix");
      assertThat(fix.exit()).as(fix.out() + fix.err()).isZero();
    });
  }

  @Test
  void aWalkSpansBackfill() {
    walkAcross("backfill", () -> {
      OpsRun backfill = run("backfill", "--bucket", BUCKET);
      assertThat(backfill.exit()).as(backfill.err()).isZero();
      assertThat(backfill.out()).contains("listed 10,300 object(s)");
    });
  }

  @Test
  void aWalkSpansPurgeTombstones() {
    walkAcross("purge-tombstones", () -> {
      database.jdbi().useHandle(h -> h.execute(
          "UPDATE objects SET indexed_at = now() - interval '30 days' WHERE bucket = 'walked' AND deleted"));
      OpsRun purge = run("purge-tombstones", "--older-than", "7d", "--bucket", BUCKET);
      assertThat(purge.exit()).as(purge.err()).isZero();
      assertThat(purge.out()).contains("purged 100 tombstone(s)");
    });
  }
}
