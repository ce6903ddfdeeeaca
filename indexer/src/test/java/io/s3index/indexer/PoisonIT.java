package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import io.s3index.testing.Waits;
import io.s3index.embedded.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * Poison messages of every kind the database would refuse, published between good events on
 * every partition: the good events are indexed, each poison is in the dead-letter topic exactly
 * once with its reason, and every partition keeps flowing; also when the batch holding them is
 * retried across a database outage.
 */
class PoisonIT {

  private static final int PARTITIONS = 4;

  /** One create record in S3 notification form; {@code object} is the record's s3.object. */
  private static String record(String time, String bucket, String object) {
    return """
        {"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"%s","eventName":"ObjectCreated:Put",
         "s3":{"bucket":{"name":"%s"},"object":%s}}""".formatted(time, bucket, object);
  }

  private static String message(String... records) {
    return "{\"Records\":[" + String.join(",", records) + "]}";
  }

  private static final String T = "2025-10-15T10:00:00Z";

  /** Each poison kind of the issue, by name, as the message a producer would send. */
  static Map<String, String> poisons(String bucket) {
    String seq = "\"sequencer\":\"0A\"";
    Map<String, String> p = new LinkedHashMap<>();
    p.put("NUL in the bucket", message(record(T, bucket + "\\u0000x", "{\"key\":\"p1\"," + seq + "}")));
    p.put("NUL in the ETag", message(record(T, bucket, "{\"key\":\"p2\",\"eTag\":\"ab\\u0000\"," + seq + "}")));
    p.put("NUL in the version id", message(record(T, bucket, "{\"key\":\"p3\",\"versionId\":\"v\\u0000\"," + seq + "}")));
    p.put("NUL in MinIO's contentType", message(record(T, bucket,
        "{\"key\":\"p4\",\"contentType\":\"text/plain\\u0000\"," + seq + "}")));
    p.put("NUL in user metadata", message(record(T, bucket,
        "{\"key\":\"p5\",\"userMetadata\":{\"X-Amz-Meta-A\":\"\\u0000\"}," + seq + "}")));
    p.put("event time past PostgreSQL's range, with a sequencer",
        message(record("+300000-01-01T00:00:00Z", bucket, "{\"key\":\"p6\"," + seq + "}")));
    p.put("far-future event time without a sequencer",
        message(record("+300000-01-01T00:00:00Z", bucket, "{\"key\":\"p7\"}")));
    p.put("event time before the epoch without a sequencer",
        message(record("1960-01-01T00:00:00Z", bucket, "{\"key\":\"p8\"}")));
    p.put("oversized content type", message(record(T, bucket,
        "{\"key\":\"p9\",\"contentType\":\"text/" + "x".repeat(3000) + "\"," + seq + "}")));
    p.put("oversized bucket", message(record(T, "b".repeat(3000), "{\"key\":\"p10\"," + seq + "}")));
    p.put("lone surrogate in the key", message(record(T, bucket, "{\"key\":\"p\\ud800x\"," + seq + "}")));
    p.put("fractional size", message(record(T, bucket, "{\"key\":\"p12\",\"size\":1.5," + seq + "}")));
    p.put("bucket name S3 cannot have", message(record(T, "a/b", "{\"key\":\"p13\"," + seq + "}")));
    p.put("not JSON", "{\"Records\":[");
    return p;
  }

  private static String good(String bucket, String key, long seq, String size, String etagField) {
    return message(record(T, bucket, "{\"key\":\"" + key + "\",\"size\":" + size + ",\"" + etagField
        + "\":\"e" + seq + "\",\"sequencer\":\"" + String.format("%016X", seq) + "\"}"));
  }

  /**
   * Publishes good events on every partition, each poison (and a message with one good and one
   * bad record) at a random place between them, and more good events after; returns the expected
   * live objects and the poisons' (partition, offset) with their kinds.
   */
  private static Published publish(Harness harness, String bucket, long seed) throws Exception {
    Random random = new Random(seed);
    Map<String, Long> expected = new HashMap<>();
    Map<List<Long>, String> poisonAt = new HashMap<>();
    List<Map.Entry<String, String>> poisons = new ArrayList<>(poisons(bucket).entrySet());
    long seq = 1;
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    List<Map.Entry<Future<RecordMetadata>, String>> poisonSends = new ArrayList<>();
    for (int round = 0; round < 30; round++) {
      for (int p = 0; p < PARTITIONS; p++) {
        String key = "good-" + round + "-" + p;
        // Ceph's shape on odd rounds: the size as a string, the ETag spelled "etag".
        boolean ceph = round % 2 == 1;
        long size = 10 + round;
        sends.add(harness.sendRaw(bucket + "/" + key, utf8(good(bucket, key, seq++,
            ceph ? "\"" + size + "\"" : Long.toString(size), ceph ? "etag" : "eTag")), p));
        expected.put(key, size);
      }
      if (round >= 5 && !poisons.isEmpty() && random.nextInt(3) == 0) {
        Map.Entry<String, String> poison = poisons.remove(random.nextInt(poisons.size()));
        poisonSends.add(Map.entry(harness.sendRaw("poison", utf8(poison.getValue()), random.nextInt(PARTITIONS)),
            poison.getKey()));
      }
      if (round == 20) {
        String mixed = message(
            record(T, bucket, "{\"key\":\"mixed-good\",\"size\":5,\"sequencer\":\"0B\"}"),
            record(T, bucket, "{\"key\":\"mixed-bad\",\"size\":-5,\"sequencer\":\"0C\"}"));
        poisonSends.add(Map.entry(harness.sendRaw("mixed", utf8(mixed), random.nextInt(PARTITIONS)),
            "a message with a good and a bad record"));
        expected.put("mixed-good", 5L);
      }
    }
    for (Map.Entry<String, String> poison : poisons) {
      poisonSends.add(Map.entry(harness.sendRaw("poison", utf8(poison.getValue()), random.nextInt(PARTITIONS)),
          poison.getKey()));
    }
    for (int p = 0; p < PARTITIONS; p++) {
      sends.add(harness.sendRaw(bucket + "/last-" + p, utf8(good(bucket, "last-" + p, seq++, "1", "eTag")), p));
      expected.put("last-" + p, 1L);
    }
    for (Future<RecordMetadata> f : sends) {
      f.get();
    }
    for (Map.Entry<Future<RecordMetadata>, String> f : poisonSends) {
      RecordMetadata m = f.getKey().get();
      poisonAt.put(List.of((long) m.partition(), m.offset()), f.getValue());
    }
    return new Published(expected, poisonAt);
  }

  private record Published(Map<String, Long> expected, Map<List<Long>, String> poisonAt) {}

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertDeadLetteredOnceEach(Harness harness, Published published) {
    await("every poison is dead-lettered").atMost(Duration.ofSeconds(60)).until(() -> harness.deadLetters().size() >= published.poisonAt().size());
    List<Harness.DeadLetterSeen> seen = harness.deadLetters();
    Map<List<Long>, Long> copies = new HashMap<>();
    seen.forEach(d -> copies.merge(List.of((long) d.partition(), d.offset()), 1L, Long::sum));
    assertThat(copies.keySet()).as("dead letters by source").containsExactlyInAnyOrderElementsOf(published.poisonAt().keySet());
    assertThat(copies.values()).as("copies of each dead letter").allMatch(n -> n == 1);
    assertThat(seen).allSatisfy(d -> assertThat(d.error()).as(published.poisonAt()
        .get(List.of((long) d.partition(), d.offset()))).isNotBlank());
    assertThat(seen.stream().filter(d -> d.error().contains("Records[1]")).toList())
        .as("the mixed message names its bad record").hasSize(1);
  }

  @Test
  void poisonIsDeadLetteredOnceAndEveryPartitionKeepsFlowing() throws Exception {
    try (Harness harness = new Harness("poison", PARTITIONS);
        Indexer indexer = Indexer.start(harness.config("poison"), harness.database)) {
      Published published = publish(harness, "poisoned", 7);
      Waits.until("every good event is indexed", Duration.ofSeconds(60), () -> harness.live("poisoned").equals(published.expected()), indexer::describe);
      assertDeadLetteredOnceEach(harness, published);
      assertThat(indexer.stats().deadLettered()).isEqualTo(published.poisonAt().size());
      // Ceph's shapes carry their size and ETag.
      Map<String, Object> ceph = harness.database.jdbi().withHandle(h -> h.createQuery(
          "SELECT size, etag FROM objects WHERE bucket = 'poisoned' AND key = 'good-1-0'").mapToMap().one());
      assertThat(ceph).containsEntry("size", 11L).containsEntry("etag", "e5");
      assertThat(indexer.problem()).isNull();
    }
  }

  @Test
  void poisonInABatchRetriedAcrossADatabaseOutageIsDeadLetteredOnce() throws Exception {
    int port = FreePorts.loopback();
    Path data = Files.createTempDirectory("poison-outage-pg");
    try (Harness harness = new Harness("poison-outage", PARTITIONS)) {
      EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(port, data);
      DatabaseConfig db = postgres.createDatabase("poison_outage");
      try (Database database = new Database(db, "poison-outage")) {
        database.migrate();
        IndexerConfig config = IndexerConfig.of(harness.kafka.bootstrapServers(), harness.topic, db)
            .withGroupId("poison-outage").withMaxBackoff(Duration.ofMillis(500));
        try (Indexer indexer = Indexer.start(config, database)) {
          harness.sendRaw("warm-up", utf8(good("outage", "warm-up", 1_000_000, "1", "eTag")), 0).get();
          await("the indexer runs").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().records() >= 1);
          postgres.close();
          Published published = publish(harness, "outage", 11);
          await("the batch holding the poison fails several times").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().failedBatches() >= 4);
          assertThat(harness.deadLetters()).isEmpty();
          postgres = EmbeddedPostgresServer.start(port, data);
          Map<String, Long> expected = new HashMap<>(published.expected());
          expected.put("warm-up", 1L);
          Waits.until("every good event is indexed after the outage", Duration.ofSeconds(90), () -> {
            try {
              return Harness.live(database, "outage").equals(expected);
            } catch (RuntimeException e) {
              return false;
            }
          }, indexer::describe);
          assertDeadLetteredOnceEach(harness, published);
        }
      } finally {
        postgres.close();
      }
    }
  }

}
