package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.shared.events.ObjectEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** Two instances in one group split the partitions; poison is dead-lettered with coordinates. */
class ScaleOutIT {

  @Test
  void twoInstancesShareTheWorkAndPoisonKeepsItsCoordinates() throws Exception {
    try (Harness harness = new Harness("scale-out", 4)) {
      IndexerConfig config = harness.config("scale").withMetricsPort(0).withMaxPollRecords(50);
      try (Indexer a = Indexer.start(config, harness.database);
           Indexer b = Indexer.start(config, harness.database)) {
        await("the two instances split the four partitions").atMost(Duration.ofSeconds(60)).until(() -> {
          java.util.Set<Integer> all = new java.util.HashSet<>(a.assignment());
          all.addAll(b.assignment());
          return !a.assignment().isEmpty() && !b.assignment().isEmpty() && all.size() == 4;
        });
        Map<String, Long> expected = new HashMap<>();
        List<ObjectEvent> events = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
          events.add(Harness.created("scaled", "k" + i, i + 1, i));
          expected.put("k" + i, (long) i);
        }
        harness.sendAll(events.subList(0, 2000), e -> null);
        // Poison in the middle of good events, on known partitions.
        harness.sendRaw("scaled/poison-1", "not json".getBytes(StandardCharsets.UTF_8), 1).get();
        harness.sendRaw("scaled/poison-2", "{\"Records\":[{\"eventName\":\"ObjectCreated:Put\",\"eventTime\":\"2025-01-01T00:00:00Z\",\"s3\":{\"bucket\":{\"name\":\"scaled\"},\"object\":{\"key\":\"%s\"}}}]}"
            .formatted("x".repeat(1100)).getBytes(StandardCharsets.UTF_8), 2).get();
        harness.sendAll(events.subList(2000, 4000), e -> null);
        harness.awaitLive("scaled", expected, Duration.ofSeconds(90));
        await("both instances committed their share").atMost(Duration.ofSeconds(30)).until(() -> a.stats().records() + b.stats().records() == 4002);
        assertThat(a.stats().records()).as("instance a did part of the work").isPositive();
        assertThat(b.stats().records()).as("instance b did part of the work").isPositive();
        assertThat(a.stats().deadLettered() + b.stats().deadLettered()).isEqualTo(2);

        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + a.metricsPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("s3index_indexer_records_consumed_total",
            "s3index_indexer_events_applied_total", "s3index_indexer_records_dead_lettered_total",
            "s3index_indexer_batch_duration_seconds_bucket", "s3index_indexer_consumer_lag{");
      }
      Map<String, String[]> dead = new HashMap<>();
      try (KafkaConsumer<String, byte[]> dlq = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, harness.kafka.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "scale-dlq-reader",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          new StringDeserializer(), new ByteArrayDeserializer())) {
        dlq.subscribe(List.of(harness.topic + ".dlq"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (dead.size() < 2 && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, byte[]> r : dlq.poll(Duration.ofMillis(200))) {
            dead.put(r.key(), new String[] {
                header(r, "s3index.source.partition"), header(r, "s3index.source.offset"),
                header(r, "s3index.error")});
          }
        }
      }
      assertThat(dead).containsOnlyKeys("scaled/poison-1", "scaled/poison-2");
      assertThat(dead.get("scaled/poison-1")[0]).isEqualTo("1");
      assertThat(dead.get("scaled/poison-2")[0]).isEqualTo("2");
      assertThat(Long.parseLong(dead.get("scaled/poison-1")[1])).isNotNegative();
      assertThat(dead.get("scaled/poison-2")[2]).contains("over the limit of 1024");
    }
  }

  private static String header(ConsumerRecord<String, byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
