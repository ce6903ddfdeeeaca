package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import io.s3index.testing.KafkaServer;
import io.s3index.testing.TestServers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sync client's whole story, against a model: random creates, overwrites and deletes over many
 * keys, published shuffled and with duplicates, consumed by two indexers of one group at once,
 * while a client walks the listing, switches to the change feed at the first page's
 * changes_cursor and long-polls to the end. Its replica must equal the final index, and the index
 * the model, for every seed.
 */
class ChangeFeedModelIT {

  private static final String TOPIC = "feed-model-events";
  private static final int SEEDS = 20;
  private static Database database;
  private static Indexer first;
  private static Indexer second;
  private static QueryApi api;
  private static EventPublisher publisher;
  private static ApiClient client;
  private static long published;

  @BeforeAll
  static void start() {
    KafkaServer kafka = TestServers.kafka();
    kafka.createTopic(TOPIC, 4);
    kafka.createTopic(TOPIC + ".dlq", 1);
    DatabaseConfig db = TestServers.postgres().createDatabase("feed_model");
    database = new Database(db, "feed-model");
    IndexerConfig config = IndexerConfig.of(kafka.bootstrapServers(), TOPIC, db).withGroupId("feed-model")
        .withMaxPollRecords(40);
    first = Indexer.start(config, database);
    second = Indexer.start(config, database);
    api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database);
    publisher = new EventPublisher(kafka.bootstrapServers(), TOPIC);
    client = new ApiClient(api.port());
  }

  @AfterAll
  static void stop() {
    publisher.close();
    api.close();
    second.close();
    first.close();
    database.close();
  }

  private static long consumed() {
    return first.stats().records() + second.stats().records();
  }

  /** Publishes shuffled, with about a fifth again as duplicates. */
  private static void publish(List<ObjectEvent> events, Random random) {
    List<ObjectEvent> delivered = new ArrayList<>(events);
    for (int i = 0; i < events.size() / 5; i++) {
      delivered.add(events.get(random.nextInt(events.size())));
    }
    Collections.shuffle(delivered, random);
    publisher.publishAll(delivered, Duration.ofSeconds(30));
    synchronized (ChangeFeedModelIT.class) {
      published += delivered.size();
    }
  }

  @Test
  void aClientThatWalksThenFollowsEndsWithTheIndexForEverySeed() throws Exception {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random random = new Random(seed);
      String bucket = "model-" + seed;
      Map<String, ObjectEvent> newest = new HashMap<>();
      long[] sequence = {1};
      List<ObjectEvent> before = history(bucket, 60, 3, random, newest, sequence);
      List<ObjectEvent> during = history(bucket, 60, 4, random, newest, sequence);

      publish(before, random);
      long target = published;
      await("seed " + seed + ": the first half is indexed").atMost(Duration.ofSeconds(60))
          .until(() -> consumed() >= target);

      // Walk: the first page, then the second half is published while the rest is walked.
      Map<String, Long> replica = new HashMap<>();
      JsonNode page = client.get("/v1/buckets/" + bucket + "/objects?page_size=7").body();
      String changes = page.get("pagination").get("changes_cursor").asText();
      Thread publishing = new Thread(() -> publish(during, random));
      publishing.start();
      while (true) {
        page.get("data").forEach(o -> replica.put(o.get("key").asText(), o.get("size").asLong()));
        JsonNode next = page.get("pagination").get("next_cursor");
        if (next.isNull()) {
          break;
        }
        page = client.get("/v1/buckets/" + bucket + "/objects?page_size=7&cursor=" + next.asText()).body();
      }
      publishing.join();
      long all = published;

      // Follow the feed, long-polling, until everything published is consumed and a read is empty.
      String cursor = changes;
      boolean caughtUp = false;
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!caughtUp) {
        assertThat(System.nanoTime()).as("seed %d: the feed ends in time", seed).isLessThan(deadline);
        boolean doneBefore = consumed() >= all;
        ApiClient.Response r = client.get("/v1/buckets/" + bucket + "/changes?page_size=13&wait=1&cursor=" + cursor);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        for (JsonNode e : r.body().get("data")) {
          if (e.get("type").asText().equals("delete")) {
            replica.remove(e.get("key").asText());
          } else {
            replica.put(e.get("key").asText(), e.get("object").get("size").asLong());
          }
        }
        cursor = r.body().get("pagination").get("next_cursor").asText();
        caughtUp = doneBefore && r.body().get("data").isEmpty() && !r.body().get("pagination").get("has_more").asBoolean();
      }

      Map<String, Long> expected = new HashMap<>();
      newest.forEach((key, e) -> {
        if (e.kind() == ObjectEvent.Kind.CREATED) {
          expected.put(key, e.size());
        }
      });
      Map<String, Long> index = new HashMap<>();
      client.get("/v1/buckets/" + bucket + "/objects?page_size=1000").body().get("data")
          .forEach(o -> index.put(o.get("key").asText(), o.get("size").asLong()));
      assertThat(index).as("seed %d: the index equals the model", seed).isEqualTo(expected);
      assertThat(replica).as("seed %d: the client's replica equals the index", seed).isEqualTo(index);
    }
  }

  /** Up to {@code steps} events for each of {@code keys} keys, in sequencer order, tracking the newest. */
  private static List<ObjectEvent> history(String bucket, int keys, int steps, Random random,
      Map<String, ObjectEvent> newest, long[] sequence) {
    List<ObjectEvent> events = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      String key = "dir" + (k % 4) + "/key " + k;
      int n = random.nextInt(steps + 1);
      for (int s = 0; s < n; s++) {
        long seq = sequence[0]++;
        String sequencer = Sequencer.normalize(String.format(Locale.ROOT, "%016X", seq));
        Instant at = Instant.parse("2025-10-15T10:00:00Z").plusMillis(seq);
        ObjectEvent e = random.nextInt(4) == 0
            ? new ObjectEvent(bucket, key, ObjectEvent.Kind.REMOVED, 0, null, null, sequencer, at, "ObjectRemoved:Delete")
            : new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, 1 + random.nextInt(10_000), "etag-" + seq, null,
                sequencer, at, "ObjectCreated:Put");
        events.add(e);
        newest.put(key, e);
      }
    }
    return events;
  }
}
