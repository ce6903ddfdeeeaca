package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.ObjectEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** backfill, reconcile, emit, purge-tombstones, migrate and status against the real servers. */
class OpsToolsIT {

  private static DatabaseConfig db;
  private static Database database;
  private static S3Client s3;
  private static String[] connection;


  @BeforeAll
  static void start() {
    db = TestServers.postgres().createDatabase("ops_tools");
    database = new Database(db, "ops-tools");
    database.migrate();
    S3Server server = TestServers.s3();
    s3 = S3Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(TestServers.s3().accessKey(), TestServers.s3().secretKey()))).build();
    connection = new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password(),
        "--s3-endpoint", server.endpoint().toString(), "--bootstrap-servers", TestServers.kafka().bootstrapServers()};
  }

  @AfterAll
  static void stop() {
    s3.close();
    database.close();
  }

  private static OpsRun run(String... args) {
    return OpsRun.run(connection, args);
  }

  private static long live(String bucket) {
    return database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM objects WHERE bucket = :b AND NOT deleted").bind("b", bucket).mapTo(Long.class).one());
  }

  @Test
  void backfillThenReconcileFindsNoDriftAndFixRepairsDeletionsBehindTheIndexsBack() {
    s3.createBucket(b -> b.bucket("legacy"));
    for (int i = 0; i < 250; i++) {
      String key = "docs/file " + i + ".txt";
      s3.putObject(b -> b.bucket("legacy").key(key).contentType("text/plain").metadata(Map.of("n", key)),
          RequestBody.fromString("x".repeat(i)));
    }
    // An object an event described, newer than any listing: backfill must leave it alone.
    database.jdbi().useHandle(h -> h.execute("""
        INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, event_time)
        VALUES ('legacy', 'docs/file 7.txt', 4242, 'from-event', now(), '0055AED6', now())"""));

    OpsRun backfill = run("backfill", "--bucket", "legacy", "--head");
    assertThat(backfill.exit()).as(backfill.err()).isZero();
    assertThat(backfill.out()).contains("listed 250 object(s)", "wrote 249");
    assertThat(live("legacy")).isEqualTo(250);
    Map<String, Object> row = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT content_type, metadata->>'n' AS n FROM objects WHERE bucket = 'legacy' AND key = 'docs/file 3.txt'")
        .mapToMap().one());
    assertThat(row).containsEntry("content_type", "text/plain").containsEntry("n", "docs/file 3.txt");
    long eventSize = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT size FROM objects WHERE bucket = 'legacy' AND key = 'docs/file 7.txt'").mapTo(Long.class).one());
    assertThat(eventSize).isEqualTo(4242);

    // The event-described row differs from the bucket: reconcile sees exactly that.
    OpsRun first = run("reconcile", "--bucket", "legacy");
    assertThat(first.exit()).isZero();
    assertThat(first.out()).contains("250 compared", "0 missing from the index, 0 extra in it, 1 changed");
    OpsRun fixChanged = run("reconcile", "--bucket", "legacy", "--fix");
    assertThat(fixChanged.out()).contains("repaired 1 row(s)");

    for (int i = 0; i < 30; i++) {
      int n = i;
      s3.deleteObject(b -> b.bucket("legacy").key("docs/file " + n + ".txt"));
    }
    s3.putObject(b -> b.bucket("legacy").key("docs/new.txt"), RequestBody.fromString("new"));
    OpsRun drift = run("reconcile", "--bucket", "legacy");
    assertThat(drift.out()).contains("1 missing from the index, 30 extra in it, 0 changed", "docs/new.txt",
        "run again with --fix");
    OpsRun fix = run("reconcile", "--bucket", "legacy", "--fix");
    assertThat(fix.out()).contains("repaired 31 row(s)");
    assertThat(live("legacy")).isEqualTo(221);
    OpsRun clean = run("reconcile", "--bucket", "legacy", "--prefix", "docs/");
    assertThat(clean.out()).contains("221 compared", "0 missing from the index, 0 extra in it, 0 changed");
  }

  @Test
  void emitPublishesS3FormatEventsKeyedByBucketAndKey() throws Exception {
    String topic = "ops-emit-events";
    TestServers.kafka().createTopic(topic, 2);
    Path file = Files.createTempFile("events", ".jsonl");
    Files.writeString(file, """
        {"bucket":"emitted","key":"from file.txt","size":12,"etag":"abc"}
        {"bucket":"emitted","key":"gone.txt","delete":true,"sequencer":"00FF"}

        {"Records":[{"eventVersion":"2.1","eventTime":"2025-01-01T00:00:00Z","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"emitted"},"object":{"key":"raw+message","size":3,"sequencer":"0A"}}}]}
        """);
    assertThat(run("emit", "--topic", topic, "--bucket", "emitted", "--key", "a b/c+d", "--size", "5").exit()).isZero();
    OpsRun fromFile = run("emit", "--topic", topic, "--file", file.toString());
    assertThat(fromFile.exit()).as(fromFile.err()).isZero();
    assertThat(fromFile.out()).contains("published 3 event(s)");

    List<ObjectEvent> events = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestServers.kafka().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "ops-emit-reader", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (events.size() < 4 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          events.addAll(new EventParser().parse(r.value()).events());
          keys.add(r.key());
        }
      }
    }
    assertThat(events).extracting(ObjectEvent::key).containsExactlyInAnyOrder("a b/c+d", "from file.txt", "gone.txt", "raw message");
    assertThat(keys).contains("emitted/a b/c+d", "emitted/raw message");
    assertThat(events).filteredOn(e -> e.key().equals("gone.txt")).singleElement()
        .satisfies(e -> assertThat(e.kind()).isEqualTo(ObjectEvent.Kind.REMOVED));
  }

  @Test
  void purgeMigrateAndStatus() {
    database.jdbi().useHandle(h -> h.execute("""
        INSERT INTO objects (bucket, key, size, last_modified, sequencer, deleted, event_time, indexed_at)
        SELECT 'purge', 'old-' || g, 0, now(), '01', true, now(), now() - interval '10 days'
        FROM generate_series(1, 120) g
        UNION ALL
        SELECT 'purge', 'young-' || g, 0, now(), '01', true, now(), now() FROM generate_series(1, 5) g"""));
    // Live rows of other buckets, in every partition (the purge must remove only what it chose).
    database.jdbi().useHandle(h -> h.execute("""
        INSERT INTO objects (bucket, key, size, last_modified, sequencer, event_time)
        SELECT 'purge-other-' || (g % 40), 'keep-' || g, 1, now(), '01', now() FROM generate_series(1, 2000) g"""));
    OpsRun purge = run("purge-tombstones", "--older-than", "7d", "--bucket", "purge");
    assertThat(purge.exit()).isZero();
    assertThat(purge.out()).contains("purged 120 tombstone(s)");
    long kept = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM objects WHERE bucket LIKE 'purge-other-%'").mapTo(Long.class).one());
    assertThat(kept).as("other buckets' rows").isEqualTo(2000);
    assertThat(run("migrate").out()).contains("schema is up to date");
    TestServers.kafka().createTopic("ops-status-events", 2);
    OpsRun status = run("status", "--topic", "ops-status-events", "--group", "nobody");
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).contains("partition", "total lag 0", "purge");
  }

  @Test
  void badInputEndsWithOneReadableLineAndANonZeroExit() {
    OpsRun unknownBucket = run("backfill", "--bucket", "no-such-bucket");
    assertThat(unknownBucket.exit()).isEqualTo(1);
    assertThat(unknownBucket.err().strip()).doesNotContain("\n").contains("bucket 'no-such-bucket' does not exist");
    OpsRun badDuration = run("purge-tombstones", "--older-than", "a week");
    assertThat(badDuration.exit()).isEqualTo(1);
    assertThat(badDuration.err().strip()).doesNotContain("\n").contains("--older-than");
    OpsRun noBroker = run("emit", "--bucket", "b", "--key", "k", "--bootstrap-servers", "127.0.0.1:1");
    assertThat(noBroker.exit()).isEqualTo(1);
    assertThat(noBroker.err().strip()).doesNotContain("\n").contains("cannot reach Kafka at 127.0.0.1:1");
    OpsRun noDatabase = run("status", "--db-url", "jdbc:postgresql://127.0.0.1:1/x");
    assertThat(noDatabase.exit()).isEqualTo(1);
    assertThat(noDatabase.err().strip()).doesNotContain("\n").contains("cannot reach the database");
    OpsRun badKey = run("emit", "--bucket", "b", "--key", "x".repeat(1100));
    assertThat(badKey.exit()).isEqualTo(1);
    assertThat(badKey.err()).contains("over the limit of 1024");
    OpsRun missingFlag = run("reconcile");
    assertThat(missingFlag.exit()).isEqualTo(2);
    assertThat(missingFlag.err()).contains("--bucket");
  }
}
