package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.IndexFixture;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each filter, alone and combined, selects what a model of it selects, in order, on every page. */
class FiltersIT {

  private static final String BUCKET = "filters";
  private static final Instant T0 = Instant.parse("2025-03-01T00:00:00Z");
  private static IndexFixture index;
  private static ApiClient api;
  private static List<IndexFixture.Row> rows;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("filters_it");
    api = index.startApi();
    Random random = new Random(23);
    String[] types = {"image/jpeg", "image/png", "text/plain", "application/json", null,
        "text/plain; charset=utf-8"};
    rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String key = (i % 3 == 0 ? "photos/" : i % 3 == 1 ? "docs/" : "") + "obj-" + i + (i % 7 == 0 ? "-é" : "");
      rows.add(new IndexFixture.Row(BUCKET, key, random.nextInt(5) * 1000L,
          T0.plusSeconds(random.nextInt(10) * 3600L).plusNanos(random.nextInt(3) * 1000L),
          types[random.nextInt(types.length)]));
    }
    index.put(rows);
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static int utf8(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> walk(String query) {
    List<String> keys = new ArrayList<>();
    String base = "/v1/buckets/" + BUCKET + "/objects?page_size=9&" + query;
    JsonNode body = api.get(base).body();
    while (true) {
      assertThat(body.has("data")).as(body.toString()).isTrue();
      body.path("data").forEach(o -> keys.add(o.path("key").asText()));
      if (!body.path("pagination").path("has_next").asBoolean()) {
        return keys;
      }
      body = api.get(base + "&cursor=" + body.path("pagination").path("next_cursor").asText()).body();
    }
  }

  private static List<String> model(Predicate<IndexFixture.Row> filter) {
    return rows.stream().filter(filter).map(IndexFixture.Row::key).sorted(FiltersIT::utf8).toList();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "content_type=image/jpeg|jpeg",
      "content_type=image/*|image",
      "content_type=TEXT/*|text",
      "content_type=text/plain|textplain",
      "min_size=2000|min",
      "max_size=1000|max",
      "min_size=1000&max_size=3000|range",
      "modified_after=2025-03-01T03:00:00Z|after",
      "modified_before=2025-03-01T05:00:00.000001Z|before",
      "modified_after=2025-03-01T02:00:00%2B01:00&modified_before=2025-03-01T06:00:00Z|window",
      "start_after=docs/obj-5|startafter",
      "prefix=photos/&content_type=image/*&min_size=1000|combined"})
  void selectsWhatTheModelSelects(String query, String name) {
    Instant after3 = Instant.parse("2025-03-01T03:00:00Z");
    Predicate<IndexFixture.Row> filter = switch (name) {
      case "jpeg" -> r -> "image/jpeg".equals(r.contentType());
      case "image" -> r -> r.contentType() != null && r.contentType().startsWith("image/");
      case "text" -> r -> r.contentType() != null && r.contentType().startsWith("text/");
      case "textplain" -> r -> "text/plain".equals(r.contentType());
      case "min" -> r -> r.size() >= 2000;
      case "max" -> r -> r.size() <= 1000;
      case "range" -> r -> r.size() >= 1000 && r.size() <= 3000;
      case "after" -> r -> r.lastModified().isAfter(after3);
      case "before" -> r -> r.lastModified().isBefore(Instant.parse("2025-03-01T05:00:00.000001Z"));
      case "window" -> r -> r.lastModified().isAfter(Instant.parse("2025-03-01T01:00:00Z"))
          && r.lastModified().isBefore(Instant.parse("2025-03-01T06:00:00Z"));
      case "startafter" -> r -> utf8(r.key(), "docs/obj-5") > 0;
      case "combined" -> r -> r.key().startsWith("photos/") && r.contentType() != null
          && r.contentType().startsWith("image/") && r.size() >= 1000;
      default -> throw new IllegalArgumentException(name);
    };
    List<String> expected = model(filter);
    assertThat(expected).isNotEmpty().hasSizeLessThan(rows.size());
    assertThat(walk(query)).containsExactlyElementsOf(expected);
    JsonNode first = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=3&include_total=true&" + query).body();
    assertThat(first.path("pagination").path("total_count").asLong()).isEqualTo(expected.size());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "min_size=-1|min_size", "max_size=abc|max_size", "min_size=5&max_size=4|max_size",
      "modified_after=yesterday|modified_after", "modified_before=2025-13-01T00:00:00Z|modified_before",
      "modified_after=2025-03-02T00:00:00Z&modified_before=2025-03-01T00:00:00Z|modified_before",
      "modified_after=%2B99999-01-01T00:00:00Z|modified_after",
      "content_type=jpeg|content_type", "content_type=*/*|content_type",
      "include_total=yes|include_total", "sort_by=size&delimiter=/|delimiter",
      "sort_by=last_modified&start_after=a|start_after", "delimiter=/&min_size=1|delimiter",
      "delimiter=|delimiter", "sort_order=up|sort_order", "page_size=1001|page_size",
      "page_size=1.5|page_size", "prefix=a%00b|prefix"})
  void rejectsBadFiltersNamingTheParameter(String query, String parameter) {
    ApiClient.Response r = api.get("/v1/buckets/" + BUCKET + "/objects?" + query);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.body().path("error").asText()).isEqualTo("validation_error");
    assertThat(r.body().path("errors").has(parameter)).as(r.body().toString()).isTrue();
  }

  @ParameterizedTest
  @CsvSource({"key", "last_modified", "size"})
  void includeTotalCountsEveryMatchWithoutChangingThePage(String sort) {
    JsonNode body = api.get("/v1/buckets/" + BUCKET + "/objects?include_total=true&page_size=5&sort_by=" + sort).body();
    assertThat(body.path("pagination").path("total_count").asLong()).isEqualTo(rows.size());
    assertThat(body.path("data")).hasSize(5);
    assertThat(api.get("/v1/buckets/" + BUCKET + "/objects?page_size=5").body().path("pagination")
        .has("total_count")).isFalse();
  }
}
