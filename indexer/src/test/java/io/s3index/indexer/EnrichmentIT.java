package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
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
    S3Server server = TestServers.s3();
    S3Settings store = new S3Settings(server.endpoint(), "us-east-1", TestServers.s3().accessKey(),
        TestServers.s3().secretKey(), true);
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
        await("every create is enriched").atMost(Duration.ofSeconds(60)).until(() -> pending(harness) == 0
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

  /**
   * Tag enrichment against a store that keeps tags: moto's S3 server, when it is installed (S3Proxy,
   * the suite's store, answers GetObjectTagging with 501; MinIO needs Docker).
   */
  @Test
  void tagEnrichmentStoresTagsAndTaggingEventsRefreshThem() throws Exception {
    java.nio.file.Path moto = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .map(d -> java.nio.file.Path.of(d, "moto_server")).filter(java.nio.file.Files::isExecutable)
        .findFirst().orElse(null);
    org.junit.jupiter.api.Assumptions.assumeTrue(moto != null, "moto_server is not installed");
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process server = new ProcessBuilder(moto.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      int p = port;
      await("moto answers").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", p)) {
          return s.isConnected();
        }
      });
      S3Settings store = new S3Settings(java.net.URI.create("http://127.0.0.1:" + port), "us-east-1",
          "testing", "testing", true);
      tagsFrom(store);
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  private static void tagsFrom(S3Settings store) {
    try (Harness harness = new Harness("enrichment-tags", 1); S3Client s3 = store.client(2)) {
      s3.createBucket(b -> b.bucket("tagged"));
      PutObjectResponse put = s3.putObject(b -> b.bucket("tagged").key("report.pdf").tagging("env=prod&team=blue")
          .contentType("application/pdf"), RequestBody.fromString("report"));
      PutObjectResponse plain = s3.putObject(b -> b.bucket("tagged").key("untagged.txt"), RequestBody.fromString("plain"));
      ObjectEvent created = new ObjectEvent("tagged", "report.pdf", ObjectEvent.Kind.CREATED, 6,
          put.eTag().replace("\"", ""), null, Harness.seq(1), Instant.now(), "ObjectCreated:Put");
      IndexerConfig config = harness.config("tags").withEnrichment(store).withTagEnrichment(true);
      try (Indexer indexer = Indexer.start(config, harness.database)) {
        harness.sendAll(List.of(created, new ObjectEvent("tagged", "untagged.txt", ObjectEvent.Kind.CREATED, 5,
            plain.eTag().replace("\"", ""), null, Harness.seq(2), Instant.now(), "ObjectCreated:Put")), e -> null);
        await("the tags are stored").atMost(Duration.ofSeconds(60)).until(() -> "{\"env\": \"prod\", \"team\": \"blue\"}"
            .equals(tags(harness, "report.pdf")) && "{}".equals(tags(harness, "untagged.txt")));
        assertThat(entries(harness)).containsExactly("report.pdf t:env=prod", "report.pdf t:team=blue");

        // A tag-only change: MinIO's event for it is an ObjectCreated, which must not re-create the object.
        s3.putObjectTagging(b -> b.bucket("tagged").key("report.pdf")
            .tagging(t -> t.tagSet(software.amazon.awssdk.services.s3.model.Tag.builder().key("env").value("archive").build())));
        harness.sendAll(List.of(new ObjectEvent("tagged", "report.pdf", ObjectEvent.Kind.TAGGED, 0, null, null,
            Harness.seq(3), Instant.now(), "s3:ObjectCreated:PutTagging")), e -> null);
        await("the new tags replace the old").atMost(Duration.ofSeconds(60))
            .until(() -> "{\"env\": \"archive\"}".equals(tags(harness, "report.pdf")));
        assertThat(entries(harness)).containsExactly("report.pdf t:env=archive");
        assertThat(harness.live("tagged")).containsEntry("report.pdf", 6L);
        assertThat(indexer.stats().enrichmentFailures()).isZero();
      }
    }
  }

  /** A store that keeps no tags (S3Proxy answers 501): the rest of the enrichment is stored, tags stay unknown. */
  @Test
  void withoutTagsInTheStoreTagsStayUnknown() {
    S3Server server = TestServers.s3();
    S3Settings store = new S3Settings(server.endpoint(), "us-east-1", TestServers.s3().accessKey(),
        TestServers.s3().secretKey(), true);
    try (Harness harness = new Harness("enrichment-no-tags", 1); S3Client s3 = store.client(2)) {
      s3.createBucket(b -> b.bucket("tagged"));
      PutObjectResponse put = s3.putObject(b -> b.bucket("tagged").key("a.txt").contentType("text/plain"),
          RequestBody.fromString("a"));
      try (Indexer indexer = Indexer.start(harness.config("no-tags").withEnrichment(store).withTagEnrichment(true),
          harness.database)) {
        harness.sendAll(List.of(new ObjectEvent("tagged", "a.txt", ObjectEvent.Kind.CREATED, 1,
            put.eTag().replace("\"", ""), null, Harness.seq(1), Instant.now(), "ObjectCreated:Put")), e -> null);
        await("the object is enriched").atMost(Duration.ofSeconds(60)).until(() -> pending(harness) == 0
            && indexer.stats().enriched() >= 1);
        assertThat(indexer.stats().enrichmentFailures()).isZero();
      }
      assertThat(harness.database.jdbi().<String, RuntimeException>withHandle(h -> h.createQuery(
              "SELECT content_type || ' ' || coalesce(tags::text, 'unknown') FROM objects WHERE bucket = 'tagged'")
          .mapTo(String.class).one())).isEqualTo("text/plain unknown");
    }
  }

  private static String tags(Harness harness, String key) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT tags::text FROM objects WHERE bucket = 'tagged' AND key = :key").bind("key", key)
        .mapTo(String.class).findOne().orElse(null));
  }

  private static List<String> entries(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT key || ' ' || name || '=' || value FROM object_attrs WHERE bucket = 'tagged' ORDER BY 1")
        .mapTo(String.class).list());
  }

  @Test
  void rowsLeftPendingByACrashAreEnrichedByTheSweep() {
    S3Server server = TestServers.s3();
    S3Settings store = new S3Settings(server.endpoint(), "us-east-1", TestServers.s3().accessKey(),
        TestServers.s3().secretKey(), true);
    try (Harness harness = new Harness("enrichment-sweep", 1); S3Client s3 = store.client(2)) {
      s3.createBucket(b -> b.bucket("swept"));
      s3.putObject(b -> b.bucket("swept").key("a.txt").contentType("text/plain"), RequestBody.fromString("a"));
      // As if an indexer had applied the create and died before its HeadObject.
      harness.database.jdbi().useHandle(h -> h.execute("""
          INSERT INTO objects (bucket, key, size, last_modified, sequencer, event_time)
          VALUES ('swept', 'a.txt', 1, now(), '01', now());
          INSERT INTO enrichment_queue (bucket, key, sequencer) VALUES ('swept', 'a.txt', '01')"""));
      try (Indexer indexer = Indexer.start(harness.config("sweep").withEnrichment(store), harness.database)) {
        Waits.until("the sweep enriches the leftover row", Duration.ofSeconds(30), () -> pending(harness) == 0, indexer::describe);
      }
      String type = harness.database.jdbi().withHandle(h -> h.createQuery(
          "SELECT content_type FROM objects WHERE bucket = 'swept'").mapTo(String.class).one());
      assertThat(type).isEqualTo("text/plain");
    }
  }

  @Test
  void twoIndexersNeverHeadTheSameObjectAndAPermanentFailureIsGivenUp() throws Exception {
    S3Server server = TestServers.s3();
    S3Settings direct = new S3Settings(server.endpoint(), "us-east-1", TestServers.s3().accessKey(),
        TestServers.s3().secretKey(), true);
    try (Harness harness = new Harness("enrichment-pair", 4); S3Client s3 = direct.client(4);
        CountingProxy proxy = new CountingProxy(server.endpoint())) {
      s3.createBucket(b -> b.bucket("pair"));
      S3Settings counted = new S3Settings(proxy.endpoint(), "us-east-1", TestServers.s3().accessKey(),
          TestServers.s3().secretKey(), true);
      IndexerConfig config = harness.config("pair").withEnrichment(counted);
      try (Indexer one = Indexer.start(config, harness.database);
          Indexer two = Indexer.start(config, harness.database)) {
        // First an object the S3 server refuses to HEAD for good (403 for a key with "//").
        harness.sendAll(List.of(Harness.created("pair", "bad//key.txt", 1, 1)), e -> null);
        List<ObjectEvent> events = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          String key = "doc-" + i + ".txt";
          PutObjectResponse put = s3.putObject(b -> b.bucket("pair").key(key).contentType("text/plain"),
              RequestBody.fromString("body " + i));
          events.add(new ObjectEvent("pair", key, ObjectEvent.Kind.CREATED, 6, put.eTag().replace("\"", ""),
              null, Harness.seq(10 + i), Instant.now(), "ObjectCreated:Put"));
        }
        harness.sendAll(events, e -> null);
        Waits.until("every good object is enriched and the bad one given up", Duration.ofSeconds(60), () -> enriched(harness, "pair") == 300 && givenUp(harness) == 1 && waiting(harness) == 0, () -> one.describe() + " / " + two.describe() + "; HEADs: " + proxy.heads().size());
        // Which indexer claims which rows is a race; between them they finished every one.
        assertThat(one.stats().enriched() + two.stats().enriched()).isGreaterThanOrEqualTo(300);
      }
      java.util.Map<String, Long> perPath = new java.util.HashMap<>();
      proxy.heads().forEach(path -> perPath.merge(path, 1L, Long::sum));
      assertThat(perPath.entrySet().stream().filter(e -> e.getKey().contains("doc-")))
          .hasSize(300).allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).isEqualTo(1L));
      assertThat(perPath.entrySet().stream().filter(e -> e.getKey().contains("bad"))
          .mapToLong(java.util.Map.Entry::getValue).sum()).as("tries of the bad object").isEqualTo(3);
      String error = harness.database.jdbi().withHandle(h -> h.createQuery(
          "SELECT last_error FROM enrichment_queue WHERE key = 'bad//key.txt' AND given_up")
          .mapTo(String.class).one());
      assertThat(error).contains("403");
    }
  }

  private static long enriched(Harness harness, String bucket) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM objects WHERE bucket = :b AND content_type = 'text/plain'")
        .bind("b", bucket).mapTo(Long.class).one());
  }

  private static long givenUp(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM enrichment_queue WHERE given_up").mapTo(Long.class).one());
  }

  private static long waiting(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM enrichment_queue WHERE NOT given_up").mapTo(Long.class).one());
  }

  private static long pending(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM enrichment_queue").mapTo(Long.class).one());
  }
}
