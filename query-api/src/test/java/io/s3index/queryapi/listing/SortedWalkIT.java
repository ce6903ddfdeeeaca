package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.IndexFixture;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every sort, both orders, forward with next_cursor and back with previous_cursor. */
class SortedWalkIT {

  private static final String BUCKET = "walks";
  private static IndexFixture index;
  private static ApiClient api;
  private static List<IndexFixture.Row> rows;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("sorted_walk_it");
    api = index.startApi();
    Random random = new Random(17);
    Instant[] times = {
        Instant.parse("2025-01-01T00:00:00Z"),
        Instant.parse("2025-01-01T00:00:00.000001Z"),
        Instant.parse("2025-01-01T00:00:00.000002Z"),
        Instant.parse("2025-06-30T12:34:56.789123Z")};
    long[] sizes = {0, 10, 10_000, 5_000_000_000L};
    String[] parts = {"a", "é", "/", " ", "😀", "Z", "~", "+"};
    Set<String> keys = new HashSet<>();
    rows = new ArrayList<>();
    while (rows.size() < 300) {
      StringBuilder key = new StringBuilder();
      for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
        key.append(parts[random.nextInt(parts.length)]);
      }
      if (keys.add(key.toString())) {
        rows.add(new IndexFixture.Row(BUCKET, key.toString(), sizes[random.nextInt(sizes.length)],
            times[random.nextInt(times.length)], "text/plain"));
      }
    }
    index.put(rows);
    // Other buckets must not leak in.
    index.put(List.of(new IndexFixture.Row("walks-other", "a", 1, times[0], null),
        new IndexFixture.Row("walka", "a", 1, times[0], null)));
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  static List<Arguments> walks() {
    List<Arguments> args = new ArrayList<>();
    for (String sort : List.of("key", "last_modified", "size")) {
      for (String order : List.of("asc", "desc")) {
        for (int pageSize : new int[] {1, 7, 1000}) {
          args.add(Arguments.of(sort, order, pageSize));
        }
      }
    }
    return args;
  }

  private static int utf8(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> expected(String sort, String order) {
    Comparator<IndexFixture.Row> byKey = (a, b) -> utf8(a.key(), b.key());
    Comparator<IndexFixture.Row> comparator = switch (sort) {
      case "last_modified" -> Comparator.comparing(IndexFixture.Row::lastModified).thenComparing(byKey);
      case "size" -> Comparator.comparingLong(IndexFixture.Row::size).thenComparing(byKey);
      default -> byKey;
    };
    List<IndexFixture.Row> sorted = new ArrayList<>(rows);
    sorted.sort(comparator);
    if (order.equals("desc")) {
      Collections.reverse(sorted);
    }
    return sorted.stream().map(IndexFixture.Row::key).toList();
  }

  private static List<String> keys(JsonNode body) {
    List<String> keys = new ArrayList<>();
    body.path("data").forEach(o -> keys.add(o.path("key").asText()));
    return keys;
  }

  @ParameterizedTest(name = "sort_by={0} sort_order={1} page_size={2}")
  @MethodSource("walks")
  void walksForwardAndBackOverEqualValues(String sort, String order, int pageSize) {
    String base = "/v1/buckets/" + BUCKET + "/objects?sort_by=" + sort + "&sort_order=" + order
        + "&page_size=" + pageSize;
    List<List<String>> pages = new ArrayList<>();
    JsonNode body = api.get(base).body();
    assertThat(body.path("pagination").path("has_previous").asBoolean()).isFalse();
    pages.add(keys(body));
    while (body.path("pagination").path("has_next").asBoolean()) {
      body = api.get(base + "&cursor=" + body.path("pagination").path("next_cursor").asText()).body();
      pages.add(keys(body));
    }
    assertThat(body.path("pagination").path("next_cursor").isNull()).isTrue();
    List<String> forward = pages.stream().flatMap(List::stream).toList();
    assertThat(forward).containsExactlyElementsOf(expected(sort, order));

    // Back from the last page: each previous page equals the forward page before it.
    int index = pages.size() - 1;
    while (body.path("pagination").path("has_previous").asBoolean()) {
      body = api.get(base + "&cursor=" + body.path("pagination").path("previous_cursor").asText()).body();
      index--;
      assertThat(keys(body)).as("page %d going back", index).containsExactlyElementsOf(pages.get(index));
      assertThat(body.path("pagination").path("has_next").asBoolean()).isTrue();
    }
    assertThat(index).isZero();
  }
}
