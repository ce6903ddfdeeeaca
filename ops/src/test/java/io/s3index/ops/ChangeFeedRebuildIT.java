package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import io.s3index.testing.TestServers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Following the feed across an enrichment pass and {@code ops rebuild}: a rebuild that changes
 * nothing sends nothing, one that repairs a row sends that row only, and enrichment arrives as
 * upserts, so that the follower ends with what the index holds.
 */
class ChangeFeedRebuildIT {

  private static final String BUCKET = "feed-rebuild";
  private static final String TOPIC = "feed-rebuild-events";
  private static final String GROUP = "feed-rebuild-live";

  private static OpsRun ops(DatabaseConfig db, String... args) {
    return OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password(),
        "--bootstrap-servers", TestServers.kafka().bootstrapServers(), "--topic", TOPIC, "--group", GROUP}, args);
  }

  private static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }

  /** Follows the feed until a page says no more; applies it to the replica; returns the entries and the cursor. */
  private record Followed(List<JsonNode> entries, String cursor) {}

  private static Followed follow(ApiClient client, String cursor, Map<String, String> replica) {
    List<JsonNode> entries = new ArrayList<>();
    while (true) {
      ApiClient.Response r = client.get("/v1/buckets/" + BUCKET + "/changes?cursor=" + cursor);
      assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
      for (JsonNode e : r.body().get("data")) {
        entries.add(e);
        if (e.get("type").asText().equals("delete")) {
          replica.remove(e.get("key").asText());
        } else {
          replica.put(e.get("key").asText(), e.get("object").get("content_type").asText("-"));
        }
      }
      cursor = r.body().get("pagination").get("next_cursor").asText();
      if (!r.body().get("pagination").get("has_more").asBoolean()) {
        return new Followed(entries, cursor);
      }
    }
  }

  private static Map<String, String> index(ApiClient client) {
    Map<String, String> index = new HashMap<>();
    client.get("/v1/buckets/" + BUCKET + "/objects?page_size=1000").body().get("data")
        .forEach(o -> index.put(o.get("key").asText(), o.get("content_type").asText("-")));
    return index;
  }

  @Test
  void aRebuildSendsOnlyWhatItChangedAndEnrichmentArrivesAsUpserts() throws Exception {
    TestServers.kafka().createTopic(TOPIC, 2);
    DatabaseConfig db = TestServers.postgres().createDatabase("feed_rebuild");
    S3Settings store = new S3Settings(TestServers.s3().endpoint(), "us-east-1", TestServers.s3().accessKey(),
        TestServers.s3().secretKey(), true);
    try (Database database = new Database(db, "feed-rebuild"); S3Client s3 = store.client(4);
         EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), TOPIC)) {
      database.migrate();
      s3.createBucket(b -> b.bucket(BUCKET));
      List<ObjectEvent> events = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        String key = String.format(Locale.ROOT, "k/%02d", i);
        String etag = s3.putObject(b -> b.bucket(BUCKET).key(key).contentType("image/png"),
            RequestBody.fromString("x".repeat(i + 1))).eTag().replace("\"", "");
        events.add(new ObjectEvent(BUCKET, key, ObjectEvent.Kind.CREATED, i + 1, etag, null, seq(i + 1),
            Instant.ofEpochSecond(1_700_000_000L + i), "ObjectCreated:Put"));
      }
      try (Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), TOPIC, db)
              .withGroupId(GROUP).withEnrichment(store), database);
           QueryApi api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database)) {
        ApiClient client = new ApiClient(api.port());
        Map<String, String> replica = new HashMap<>();
        String cursor = client.get("/v1/buckets/" + BUCKET + "/changes").body().get("pagination").get("next_cursor").asText();

        // The first 40 are indexed and enriched while the follower follows.
        publisher.publishAll(events.subList(0, 40), Duration.ofSeconds(30));
        await("indexed and enriched").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().records() >= 40
            && database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM enrichment_queue")
                .mapTo(Long.class).one()) == 0);
        cursor = follow(client, cursor, replica).cursor();
        assertThat(replica).isEqualTo(index(client)).hasSize(40).containsValue("image/png").doesNotContainValue("-");

        // A rebuild of an index that is right sends nothing.
        OpsRun same = ops(db, "rebuild");
        assertThat(same.exit()).as(same.err()).isZero();
        Followed afterSame = follow(client, cursor, replica);
        assertThat(afterSame.entries()).as("no flood of unchanged rows after a rebuild").isEmpty();

        // A drifted index: the rebuild repairs two rows, and sends exactly those.
        database.jdbi().useHandle(h -> h.execute("DELETE FROM objects WHERE bucket = 'feed-rebuild' AND key IN ('k/03', 'k/04')"));
        String drifted = client.get("/v1/buckets/" + BUCKET + "/changes").body().get("pagination").get("next_cursor").asText();
        OpsRun repair = ops(db, "rebuild");
        assertThat(repair.exit()).as(repair.err()).isZero();
        Followed repaired = follow(client, drifted, replica);
        assertThat(repaired.entries()).extracting(e -> e.get("key").asText()).containsExactlyInAnyOrder("k/03", "k/04");

        // The rest arrives, is enriched, and the follower ends with the index.
        publisher.publishAll(events.subList(40, 60), Duration.ofSeconds(30));
        await("the rest indexed and enriched").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().records() >= 60
            && database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM enrichment_queue")
                .mapTo(Long.class).one()) == 0);
        follow(client, repaired.cursor(), replica);
        // (The two rows the rebuild restored from the topic carry no enrichment: their old rows,
        // which held it, were gone, and a rebuild does not queue HeadObject.)
        assertThat(replica).isEqualTo(index(client)).hasSize(60).containsEntry("k/59", "image/png");

        // purge-tombstones moves the feed's horizon: a cursor that had not seen a purged delete is gone.
        String beforeDelete = client.get("/v1/buckets/" + BUCKET + "/changes").body().get("pagination")
            .get("next_cursor").asText();
        publisher.publishAll(List.of(new ObjectEvent(BUCKET, "k/10", ObjectEvent.Kind.REMOVED, 0, null, null, seq(500),
            Instant.ofEpochSecond(1_700_001_000L), "ObjectRemoved:Delete")), Duration.ofSeconds(30));
        await("the delete is indexed").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().records() >= 61);
        String afterDelete = follow(client, beforeDelete, replica).cursor();
        assertThat(replica).doesNotContainKey("k/10");
        // The tombstone is made old enough to purge (the command purges by age).
        database.jdbi().useHandle(h -> h.execute(
            "UPDATE objects SET indexed_at = now() - interval '2 hours' WHERE bucket = 'feed-rebuild' AND deleted"));
        OpsRun purge = ops(db, "purge-tombstones", "--older-than", "1h", "--bucket", BUCKET);
        assertThat(purge.exit()).as(purge.err()).isZero();
        ApiClient.Response expired = client.get("/v1/buckets/" + BUCKET + "/changes?cursor=" + beforeDelete);
        assertThat(expired.status()).isEqualTo(410);
        assertThat(expired.body().get("error").asText()).isEqualTo("cursor_expired");
        assertThat(client.get("/v1/buckets/" + BUCKET + "/changes?cursor=" + afterDelete).status())
            .as("a cursor that had seen the delete goes on").isEqualTo(200);
      }
    }
  }
}
