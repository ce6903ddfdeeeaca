package io.s3index.indexer;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.embedded.Await;
import io.s3index.embedded.EmbeddedS3;
import io.s3index.embedded.SharedServers;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.shared.events.ObjectEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/** One HeadObject per applied create fills in content type, storage class and user metadata. */
class EnrichmentIT {

  @Test
  void enrichesAppliedCreatesAndHandlesVanishedObjects() {
    EmbeddedS3 server = SharedServers.s3();
    S3Settings store = new S3Settings(server.endpoint(), "us-east-1", EmbeddedS3.ACCESS_KEY,
        EmbeddedS3.SECRET_KEY, true);
    try (Harness harness = new Harness("enrichment", 2); S3Client s3 = store.client(4)) {
      s3.createBucket(b -> b.bucket("enriched"));
      List<ObjectEvent> events = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String key = "photos/img " + i + ".JPG";
        PutObjectResponse put = s3.putObject(b -> b.bucket("enriched").key(key)
                .contentType("Image/JPEG").metadata(Map.of("owner", "u" + (key.length() % 7))),
            RequestBody.fromString("pixels " + key));
        events.add(new ObjectEvent("enriched", key, ObjectEvent.Kind.CREATED, 10, put.eTag().replace("\"", ""),
            null, Harness.seq(i + 1), Instant.now(), "ObjectCreated:Put"));
      }
      // An event for an object that is already gone from the bucket.
      events.add(Harness.created("enriched", "vanished.txt", 1000, 3));
      try (Indexer indexer = Indexer.start(harness.config("enrich").withEnrichment(store), harness.database)) {
        harness.sendAll(events, e -> null);
        Await.until("every create is enriched", Duration.ofSeconds(60), () -> pending(harness) == 0
            && harness.live("enriched").size() == 201 && indexer.stats().enriched() >= 201);
        assertThat(indexer.stats().enrichmentFailures()).isZero();
      }
      Map<String, Object> row = harness.database.jdbi().withHandle(h -> h.createQuery(
          "SELECT content_type, storage_class, metadata->>'owner' AS owner FROM objects "
              + "WHERE bucket = 'enriched' AND key = 'photos/img 7.JPG'").mapToMap().one());
      assertThat(row).containsEntry("content_type", "image/jpeg").containsEntry("storage_class", "STANDARD")
          .containsEntry("owner", "u" + ("photos/img 7.JPG".length() % 7));
      String vanished = harness.database.jdbi().withHandle(h -> h.createQuery(
          "SELECT coalesce(content_type, 'none') FROM objects WHERE bucket = 'enriched' AND key = 'vanished.txt'")
          .mapTo(String.class).one());
      assertThat(vanished).isEqualTo("none");
    }
  }

  @Test
  void rowsLeftPendingByACrashAreEnrichedByTheSweep() {
    EmbeddedS3 server = SharedServers.s3();
    S3Settings store = new S3Settings(server.endpoint(), "us-east-1", EmbeddedS3.ACCESS_KEY,
        EmbeddedS3.SECRET_KEY, true);
    try (Harness harness = new Harness("enrichment-sweep", 1); S3Client s3 = store.client(2)) {
      s3.createBucket(b -> b.bucket("swept"));
      s3.putObject(b -> b.bucket("swept").key("a.txt").contentType("text/plain"), RequestBody.fromString("a"));
      // As if an indexer had applied the create and died before its HeadObject.
      harness.database.jdbi().useHandle(h -> h.execute("""
          INSERT INTO objects (bucket, key, size, last_modified, sequencer, event_time, enrich_pending)
          VALUES ('swept', 'a.txt', 1, now(), '01', now(), true)"""));
      try (Indexer indexer = Indexer.start(harness.config("sweep").withEnrichment(store), harness.database)) {
        Await.until("the sweep enriches the leftover row", Duration.ofSeconds(30), () -> pending(harness) == 0);
      }
      String type = harness.database.jdbi().withHandle(h -> h.createQuery(
          "SELECT content_type FROM objects WHERE bucket = 'swept'").mapTo(String.class).one());
      assertThat(type).isEqualTo("text/plain");
    }
  }

  private static long pending(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM objects WHERE enrich_pending").mapTo(Long.class).one());
  }
}
