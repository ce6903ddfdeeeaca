package io.s3index.ops;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import io.s3index.testing.TestServers;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.indexer.IndexerStats;
import io.s3index.indexer.enrich.Enricher;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A rebuild keeps what the topic does not hold: backfilled rows, repairs, enrichment results and
 * the change stamps of unchanged rows; pending enrichment completes after it; a topic whose
 * retention dropped events makes it stop before the swap unless --allow-drop.
 */
class RebuildCarryOverIT {

  private static final String BUCKET = "carried";

  /** Runs ops against this test's database and topic; what it printed, out and err together. */
  private record Run(int exit, String out) {}

  private static Run run(DatabaseConfig db, String topic, String... args) {
    OpsRun run = OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(),
        "--db-password", db.password(), "--s3-endpoint", TestServers.s3().endpoint().toString(),
        "--s3-access-key", TestServers.s3().accessKey(), "--s3-secret-key", TestServers.s3().secretKey(),
        "--bootstrap-servers", TestServers.kafka().bootstrapServers(), "--topic", topic, "--group", "carry-live"},
        args);
    return new Run(run.exit(), run.out() + run.err());
  }

  private static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }

  /** Every row of the bucket as text, stamps included: what a rebuild must not change. */
  private static List<String> rows(Database database) {
    return database.jdbi().withHandle(h -> h.createQuery("""
            SELECT concat_ws('|', key, size, etag, content_type, last_modified, storage_class, version_id,
                             sequencer, deleted, metadata::text, listed, version_xid, change_xid)
            FROM objects WHERE bucket = :b ORDER BY key""").bind("b", BUCKET).mapTo(String.class).list());
  }

  @Test
  void aRebuildLosesNothingTheTopicDoesNotHold() throws Exception {
    String topic = "carry-over-events";
    TestServers.kafka().createTopic(topic, 1);
    DatabaseConfig db = TestServers.postgres().createDatabase("carry_over");
    S3Settings store = new S3Settings(TestServers.s3().endpoint(), "us-east-1", TestServers.s3().accessKey(),
        TestServers.s3().secretKey(), true);
    try (Database database = new Database(db, "carry-over"); S3Client s3 = store.client(4);
         EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), topic)) {
      database.migrate();
      s3.createBucket(b -> b.bucket(BUCKET));
      // 200 objects described by events (in the bucket too, as S3 holds them) and 50 only the
      // bucket knows of; one event-described object differs from the bucket (to be repaired).
      List<ObjectEvent> events = new ArrayList<>();
      for (int i = 0; i < 250; i++) {
        String key = String.format(Locale.ROOT, i < 200 ? "ev/%03d" : "bf/%03d", i);
        String etag = s3.putObject(b -> b.bucket(BUCKET).key(key).contentType("image/png"),
            RequestBody.fromString("p".repeat(i + 1))).eTag().replace("\"", "");
        if (i < 200) {
          long size = i == 7 ? 999_999 : i + 1;
          events.add(new ObjectEvent(BUCKET, key, ObjectEvent.Kind.CREATED, size, etag, null, seq(i + 1),
              Instant.ofEpochSecond(1_700_000_000L + i), "ObjectCreated:Put"));
        }
      }
      events.add(new ObjectEvent(BUCKET, "gone", ObjectEvent.Kind.REMOVED, 0, null, null, seq(1000),
          Instant.ofEpochSecond(1_700_000_000L), "ObjectRemoved:Delete"));
      publisher.publishAll(events, Duration.ofSeconds(60));
      try (Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), topic, db)
          .withGroupId("carry-live"), database)) {
        Waits.until("the events are indexed", Duration.ofSeconds(60), () -> indexer.stats().records() >= events.size(), indexer::describe);

        assertThat(run(db, topic, "backfill", "--bucket", BUCKET).exit()).isZero();
        Run fix = run(db, topic, "reconcile", "--bucket", BUCKET, "--fix");
        assertThat(fix.exit()).as(fix.out()).isZero();
        // Enrichment done for the first 100 event rows, and pending for the next 100.
        database.jdbi().useHandle(h -> h.execute("""
            INSERT INTO enrichment_queue (bucket, key, sequencer)
            SELECT bucket, key, sequencer FROM objects WHERE bucket = 'carried' AND key >= 'ev/' AND key < 'ev/100'"""));
        try (Enricher enricher = new Enricher(store.client(4), database.jdbi(), Enricher.Settings.defaults(4),
            new IndexerStats())) {
          enricher.wake();
          await("the first half is enriched").atMost(Duration.ofSeconds(60)).until(() -> queued(database) == 0);
        }
        database.jdbi().useHandle(h -> h.execute("""
            INSERT INTO enrichment_queue (bucket, key, sequencer)
            SELECT bucket, key, sequencer FROM objects WHERE bucket = 'carried' AND key >= 'ev/100' AND key < 'ev/200'"""));
        List<String> before = rows(database);
        assertThat(before).hasSize(251);
        assertThat(before.stream().filter(r -> r.contains("|image/png|"))).hasSize(100);
        assertThat(before.stream().filter(r -> r.startsWith("ev/007|8|"))).as("repaired by reconcile").hasSize(1);

        Run rebuild = run(db, topic, "rebuild");
        assertThat(rebuild.exit()).as(rebuild.out()).isZero();
        assertThat(rebuild.out()).contains("replayed [##############################] 201/201 (100%)");
        assertThat(rows(database)).as("every row as it was, stamps included").isEqualTo(before);
        assertThat(queued(database)).as("pending enrichment kept").isEqualTo(100);
        try (Enricher enricher = new Enricher(store.client(4), database.jdbi(), Enricher.Settings.defaults(4),
            new IndexerStats())) {
          enricher.wake();
          await("pending enrichment completes after the rebuild").atMost(Duration.ofSeconds(60)).until(() -> queued(database) == 0);
        }
        long enriched = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT count(*) FROM objects WHERE bucket = 'carried' AND key LIKE 'ev/%' AND content_type = 'image/png'")
            .mapTo(Long.class).one());
        assertThat(enriched).isEqualTo(200);

        // Retention drops the topic's first 50 events: their objects are not in the topic any more
        // (but ev/007, repaired from the bucket, is carried over as a listed row).
        try (Admin admin = TestServers.kafka().admin()) {
          admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(50))).all().get();
        }
        List<String> kept = rows(database);
        Run refused = run(db, topic, "rebuild");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.out()).contains("rebuild stopped before its swap", "49 live object(s)",
            "carried/ev/000", "--allow-drop");
        assertThat(rows(database)).as("the index is unchanged").isEqualTo(kept);
        Run dropping = run(db, topic, "rebuild", "--allow-drop");
        assertThat(dropping.exit()).as(dropping.out()).isZero();
        assertThat(dropping.out()).contains("dropping 49 live object(s)");
        long live = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT count(*) FROM objects WHERE bucket = 'carried' AND NOT deleted").mapTo(Long.class).one());
        assertThat(live).isEqualTo(201);
      }
    }
  }

  private static long queued(Database database) {
    return database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM enrichment_queue").mapTo(Long.class).one());
  }
}
