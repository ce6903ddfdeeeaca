package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.testing.KafkaServer;
import io.s3index.testing.TestServers;
import io.s3index.indexer.Indexer;
import io.s3index.queryapi.ApiClient;
import io.s3index.indexer.IndexerConfig;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Events published to the real broker, read back through the real HTTP API. */
class EndToEndIT {

  private static final String TOPIC = "e2e-events";
  private static KafkaServer kafka;
  private static Database database;
  private static Indexer indexer;
  private static QueryApi api;
  private static EventPublisher publisher;
  private static ApiClient client;
  private static long sequence = 1;

  @BeforeAll
  static void start() {
    kafka = TestServers.kafka();
    kafka.createTopic(TOPIC, 4);
    kafka.createTopic(TOPIC + ".dlq", 1);
    DatabaseConfig db = TestServers.postgres().createDatabase("end_to_end");
    database = new Database(db, "e2e");
    indexer = Indexer.start(IndexerConfig.of(kafka.bootstrapServers(), TOPIC, db).withGroupId("e2e"), database);
    api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database);
    publisher = new EventPublisher(kafka.bootstrapServers(), TOPIC);
    client = new ApiClient(api.port());
  }

  @AfterAll
  static void stop() {
    publisher.close();
    api.close();
    indexer.close();
    database.close();
  }

  private static synchronized ObjectEvent created(String bucket, String key, long size) {
    long n = sequence++;
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, size, "etag-" + n, null,
        seq(n), Instant.parse("2025-10-15T10:00:00Z").plusMillis(n), "ObjectCreated:Put");
  }

  private static ObjectEvent removed(String bucket, String key, String sequencer) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.REMOVED, 0, null, null, sequencer,
        Instant.parse("2025-10-16T10:00:00Z"), "ObjectRemoved:Delete");
  }

  private static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }

  /** Publishes and waits until the indexer has committed at least that many more messages. */
  private static void publishAndAwait(List<ObjectEvent> events) {
    long before = indexer.stats().records();
    publisher.publishAll(events, Duration.ofSeconds(30));
    await("indexer consumed " + events.size() + " messages",
        () -> indexer.stats().records() >= before + events.size());
  }

  private static void await(String what, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what).atMost(Duration.ofSeconds(60)).until(condition::getAsBoolean);
  }

  private static List<String> keys(JsonNode page) {
    List<String> keys = new ArrayList<>();
    page.path("data").forEach(o -> keys.add(o.path("key").asText()));
    return keys;
  }

  @Test
  void awkwardKeysDeletesAndLateCreatesRoundTripThroughHttp() {
    String bucket = "awkward";
    List<String> awkward = List.of("a b.txt", "a+b.txt", "100%.txt", "résumé/日本語 ☃.txt",
        "dir/sub/file.txt", "😀/emoji", "plus+and space/x");
    List<ObjectEvent> events = new ArrayList<>();
    for (String key : awkward) {
      events.add(created(bucket, key, key.length()));
    }
    ObjectEvent doomed = created(bucket, "doomed.txt", 1);
    events.add(doomed);
    events.add(removed(bucket, "doomed.txt", seq(sequence++)));
    // A zombie: its delete (newer) arrives before its create (older).
    String zombieDeleteSequencer = seq(sequence + 1000);
    events.add(removed(bucket, "zombie.txt", zombieDeleteSequencer));
    publishAndAwait(events);
    ObjectEvent lateCreate = created(bucket, "zombie.txt", 99);
    assertThat(lateCreate.sequencer()).isLessThan(zombieDeleteSequencer);
    publishAndAwait(List.of(lateCreate));

    ApiClient.Response page = client.get("/v1/buckets/" + bucket + "/objects?page_size=1000");
    assertThat(page.status()).isEqualTo(200);
    List<String> expected = new ArrayList<>(awkward);
    expected.sort(EndToEndIT::utf8Order);
    assertThat(keys(page.body())).containsExactlyElementsOf(expected);

    for (String key : awkward) {
      ApiClient.Response one = client.get("/v1/buckets/" + bucket + "/objects/" + ApiClient.path(key));
      assertThat(one.status()).as(key).isEqualTo(200);
      assertThat(one.body().path("key").asText()).isEqualTo(key);
      assertThat(one.body().path("size").asLong()).isEqualTo(key.length());
    }
    assertThat(client.get("/v1/buckets/" + bucket + "/objects/doomed.txt").status()).isEqualTo(404);
    ApiClient.Response zombie = client.get("/v1/buckets/" + bucket + "/objects/zombie.txt");
    assertThat(zombie.status()).isEqualTo(404);
    assertThat(zombie.contentType()).startsWith("application/problem+json");
    assertThat(zombie.body().path("error").asText()).isEqualTo("not_found");

    ApiClient.Response prefixed = client.get("/v1/buckets/" + bucket + "/objects?prefix=" + ApiClient.q("résumé/"));
    assertThat(keys(prefixed.body())).containsExactly("résumé/日本語 ☃.txt");
    ApiClient.Response plus = client.get("/v1/buckets/" + bucket + "/objects?prefix=" + ApiClient.q("a+"));
    assertThat(keys(plus.body())).containsExactly("a+b.txt");
  }

  @Test
  void walkingFiveThousandObjectsWithNextCursorReturnsEachKeyOnceInByteOrder() {
    String bucket = "walk";
    Random random = new Random(5);
    Set<String> keys = new HashSet<>();
    String[] parts = {"a", "B", "z", "é", "日", "/", " ", "+", "%", "0", "~", "😀"};
    while (keys.size() < 5000) {
      StringBuilder key = new StringBuilder();
      int len = 1 + random.nextInt(12);
      for (int i = 0; i < len; i++) {
        key.append(parts[random.nextInt(parts.length)]);
      }
      keys.add(key.toString());
    }
    List<ObjectEvent> events = new ArrayList<>();
    for (String key : keys) {
      events.add(created(bucket, key, 1));
    }
    publishAndAwait(events);

    List<String> walked = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      ApiClient.Response page = client.get("/v1/buckets/" + bucket + "/objects?page_size=100"
          + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(page.status()).isEqualTo(200);
      walked.addAll(keys(page.body()));
      JsonNode pagination = page.body().path("pagination");
      assertThat(pagination.path("has_previous").asBoolean()).isEqualTo(pages > 0);
      cursor = pagination.path("has_next").asBoolean() ? pagination.path("next_cursor").asText() : null;
      pages++;
    } while (cursor != null);

    List<String> expected = new ArrayList<>(keys);
    expected.sort(EndToEndIT::utf8Order);
    assertThat(pages).isEqualTo(50);
    assertThat(walked).hasSize(5000).containsExactlyElementsOf(expected);
  }

  @Test
  void badRequestsAreProblemDocumentsNotServerErrors() {
    ApiClient.Response zero = client.get("/v1/buckets/any/objects?page_size=0");
    assertThat(zero.status()).isEqualTo(400);
    assertThat(zero.contentType()).startsWith("application/problem+json");
    assertThat(zero.body().path("error").asText()).isEqualTo("validation_error");
    assertThat(zero.body().path("errors").has("page_size")).isTrue();

    for (String cursor : List.of("garbage", "WzEsIm4i", "%ZZ", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")) {
      ApiClient.Response r = client.getRaw("/v1/buckets/any/objects?cursor=" + cursor);
      assertThat(r.status()).as(cursor).isEqualTo(400);
      assertThat(r.body().path("error").asText()).as(cursor)
          .isIn("invalid_cursor", "validation_error");
    }
    assertThat(client.get("/v1/buckets/any/objects?cursor=garbage").body().path("error").asText())
        .isEqualTo("invalid_cursor");
    assertThat(client.get("/v1/buckets/any/objects?page_size=10&page_size=20").status()).isEqualTo(400);
    assertThat(client.get("/v1/buckets/any/objects?color=blue").body().path("errors").has("color")).isTrue();
    assertThat(client.get("/healthz").status()).isEqualTo(200);
    assertThat(client.get("/readyz").status()).isEqualTo(200);
  }

  @Test
  void unparseableEventsAreDeadLetteredAndTheRestIsIndexed() throws Exception {
    String bucket = "poison";
    long before = indexer.stats().records();
    publisher.publishRaw("poison/x", "this is not json".getBytes(StandardCharsets.UTF_8));
    publisher.publishRaw("poison/y", "{\"Records\":[{\"eventName\":\"ObjectCreated:Put\"}]}"
        .getBytes(StandardCharsets.UTF_8));
    publisher.flush();
    publishAndAwait(List.of(created(bucket, "good.txt", 7)));
    await("poison consumed", () -> indexer.stats().records() >= before + 3);
    assertThat(indexer.isRunning()).isTrue();
    assertThat(keys(client.get("/v1/buckets/" + bucket + "/objects").body())).containsExactly("good.txt");

    Map<String, String> errors = new HashMap<>();
    try (KafkaConsumer<String, byte[]> dlq = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "e2e-dlq-reader",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      dlq.subscribe(List.of(TOPIC + ".dlq"));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (errors.size() < 2 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : dlq.poll(Duration.ofMillis(200))) {
          String error = new String(r.headers().lastHeader("s3index.error").value(), StandardCharsets.UTF_8);
          assertThat(r.headers().lastHeader("s3index.source.topic").value())
              .isEqualTo(TOPIC.getBytes(StandardCharsets.UTF_8));
          assertThat(r.headers().lastHeader("s3index.source.offset")).isNotNull();
          errors.put(r.key(), error);
        }
      }
    }
    assertThat(errors).containsOnlyKeys("poison/x", "poison/y");
    assertThat(errors.get("poison/x")).contains("not JSON");
    assertThat(errors.get("poison/y")).contains("bucket has no \"name\"");
  }

  private static int utf8Order(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
