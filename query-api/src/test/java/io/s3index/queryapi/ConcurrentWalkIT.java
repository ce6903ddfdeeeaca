package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A walk over all pages while another thread inserts and deletes: no key twice, and every key
 * that existed unchanged for the whole walk is seen.
 */
class ConcurrentWalkIT {

  @ParameterizedTest(name = "sort_by={0} sort_order={1}")
  @CsvSource({"key, asc", "key, desc", "last_modified, asc", "size, desc"})
  void walkNeitherRepeatsNorSkipsStableKeys(String sort, String order) throws Exception {
    String db = "concurrent_walk_" + sort + "_" + order;
    try (IndexFixture index = IndexFixture.create(db)) {
      ApiClient api = index.startApi();
      Instant t = Instant.parse("2025-01-01T00:00:00Z");
      List<IndexFixture.Row> stable = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        stable.add(new IndexFixture.Row("live", String.format("s%05d", i * 2), i % 10, t.plusSeconds(i % 50), null));
      }
      index.put(stable);
      AtomicBoolean walking = new AtomicBoolean(true);
      AtomicInteger writes = new AtomicInteger();
      Thread writer = new Thread(() -> {
        Random random = new Random(5);
        while (walking.get()) {
          // Churn keys interleaved with the stable ones, with equal sort values.
          String key = String.format("s%05d", random.nextInt(2000) * 2 + 1);
          if (random.nextBoolean()) {
            index.put(List.of(new IndexFixture.Row("live", key, random.nextInt(10), t.plusSeconds(random.nextInt(50)), null)));
          } else {
            index.delete("live", key);
          }
          writes.incrementAndGet();
        }
      });
      writer.start();
      List<String> seen = new ArrayList<>();
      try {
        String base = "/v1/buckets/live/objects?page_size=37&sort_by=" + sort + "&sort_order=" + order;
        JsonNode body = api.get(base).body();
        while (true) {
          body.path("data").forEach(o -> seen.add(o.path("key").asText()));
          if (!body.path("pagination").path("has_next").asBoolean()) {
            break;
          }
          // Every page after the first sees at least one more write than the page before it.
          int before = writes.get();
          io.s3index.testing.Waits.until("a write between two pages", java.time.Duration.ofSeconds(10),
              () -> writes.get() > before, () -> writes.get() + " writes");
          body = api.get(base + "&cursor=" + body.path("pagination").path("next_cursor").asText()).body();
        }
      } finally {
        walking.set(false);
        writer.join();
      }
      assertThat(writes.get()).as("writes during the walk").isGreaterThan(50);
      Set<String> unique = new HashSet<>(seen);
      assertThat(unique).as("no key twice").hasSameSizeAs(seen);
      assertThat(unique).containsAll(stable.stream().map(IndexFixture.Row::key).toList());
    }
  }
}
