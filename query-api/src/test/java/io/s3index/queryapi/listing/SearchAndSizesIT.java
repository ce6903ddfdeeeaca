package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.IndexFixture;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Metadata and tag filters (exact, present, several at once, with sorts, cursors and the folder
 * view), folder sizes ({@code /stats}, {@code include_stats}) and totals from them, against a model
 * of the rows put in.
 */
class SearchAndSizesIT {

  private static final String BUCKET = "search";
  private static final Instant T0 = Instant.parse("2025-06-01T00:00:00Z");
  private static IndexFixture index;
  private static ApiClient api;

  private record Obj(String key, long size, Instant lastModified, Map<String, String> metadata, Map<String, String> tags) {}

  private static final List<Obj> objects = new ArrayList<>();

  @BeforeAll
  static void start() {
    index = IndexFixture.create("search_and_sizes");
    Random random = new Random(5);
    String[] projects = {"apollo", "gemini", "Apollo"};
    for (int i = 0; i < 400; i++) {
      String key = String.format("%s/%s/f%03d", "d" + (i % 4), "e" + (i % 3), i);
      Map<String, String> metadata = new java.util.TreeMap<>();
      if (i % 5 != 0) {
        metadata.put("project", projects[random.nextInt(projects.length)]);
      }
      if (i % 7 == 0) {
        metadata.put("owner", "o" + (i % 2));
      }
      Map<String, String> tags = new java.util.TreeMap<>();
      if (i % 3 == 0) {
        tags.put("env", i % 2 == 0 ? "prod" : "dev");
      }
      if (i % 11 == 0) {
        tags.put("Env", "PROD");
      }
      objects.add(new Obj(key, random.nextInt(10_000), T0.plusSeconds(random.nextInt(1_000_000)),
          metadata.isEmpty() ? null : metadata, tags.isEmpty() ? null : tags));
    }
    put(objects);
    api = index.startApi();
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static void put(List<Obj> rows) {
    com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    index.database().jdbi().useHandle(h -> {
      for (Obj o : rows) {
        h.createUpdate("""
                INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, deleted, event_time, metadata, tags)
                VALUES (:b, :k, :s, 'e', :t, '1', false, :t, CAST(:m AS jsonb), CAST(:g AS jsonb))""")
            .bind("b", BUCKET).bind("k", o.key()).bind("s", o.size())
            .bind("t", java.time.OffsetDateTime.ofInstant(o.lastModified(), java.time.ZoneOffset.UTC))
            .bind("m", json(mapper, o.metadata()))
            .bind("g", json(mapper, o.tags()))
            .execute();
      }
      h.execute("INSERT INTO buckets (name) VALUES (?) ON CONFLICT DO NOTHING", BUCKET);
    });
  }

  private static String json(com.fasterxml.jackson.databind.ObjectMapper mapper, Map<String, String> map) {
    try {
      return map == null ? null : mapper.writeValueAsString(map);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every key of a walk, following next_cursor, each page checked to be at most page_size. */
  private static List<String> walk(String query) {
    List<String> keys = new ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 1000; pages++) {
      ApiClient.Response r = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=7&" + query
          + (cursor == null ? "" : "&cursor=" + ApiClient.q(cursor)));
      assertThat(r.status()).as(query + ": " + r.body()).isEqualTo(200);
      for (JsonNode row : r.body().get("data")) {
        keys.add(row.get("key").asText());
      }
      if (!r.body().get("pagination").get("has_next").asBoolean()) {
        return keys;
      }
      cursor = r.body().get("pagination").get("next_cursor").asText();
    }
    throw new AssertionError("no end");
  }

  private static List<String> model(Predicate<Obj> filter, Comparator<Obj> order) {
    return objects.stream().filter(filter).sorted(order).map(Obj::key).toList();
  }

  private static final Comparator<Obj> BY_KEY = Comparator.comparing(Obj::key);

  private static boolean meta(Obj o, String name, String value) {
    return o.metadata() != null && (value == null ? o.metadata().containsKey(name) : value.equals(o.metadata().get(name)));
  }

  private static boolean tag(Obj o, String name, String value) {
    return o.tags() != null && (value == null ? o.tags().containsKey(name) : value.equals(o.tags().get(name)));
  }

  @Test
  void exactValuesMatchCaseSensitivelyWithNamesCaseInsensitive() {
    List<String> expected = model(o -> meta(o, "project", "apollo"), BY_KEY);
    assertThat(expected).hasSizeBetween(50, 200);
    assertThat(walk("metadata.project=apollo")).isEqualTo(expected);
    assertThat(walk("metadata.PROJECT=apollo")).as("metadata names are case-insensitive").isEqualTo(expected);
    assertThat(walk("metadata.project=Apollo")).isEqualTo(model(o -> meta(o, "project", "Apollo"), BY_KEY));
    assertThat(walk("tag.env=prod")).isEqualTo(model(o -> tag(o, "env", "prod"), BY_KEY));
    assertThat(walk("tag.Env=PROD")).as("tag names are case-sensitive").isEqualTo(model(o -> tag(o, "Env", "PROD"), BY_KEY));
    assertThat(walk("metadata.project=nobody")).isEmpty();
  }

  @Test
  void presentAndSeveralAtOnceWithPrefixAndSorts() {
    assertThat(walk("metadata.owner=*")).isEqualTo(model(o -> meta(o, "owner", null), BY_KEY));
    assertThat(walk("tag.env=*&prefix=d1/")).isEqualTo(
        model(o -> tag(o, "env", null) && o.key().startsWith("d1/"), BY_KEY));
    assertThat(walk("metadata.project=gemini&tag.env=prod&metadata.owner=*")).isEqualTo(
        model(o -> meta(o, "project", "gemini") && tag(o, "env", "prod") && meta(o, "owner", null), BY_KEY));
    Comparator<Obj> bySize = Comparator.comparingLong(Obj::size).thenComparing(Obj::key);
    assertThat(walk("metadata.project=apollo&sort_by=size&sort_order=desc")).isEqualTo(
        model(o -> meta(o, "project", "apollo"), bySize.reversed()));
    Comparator<Obj> byTime = Comparator.comparing(Obj::lastModified).thenComparing(Obj::key);
    assertThat(walk("tag.env=dev&sort_by=last_modified&min_size=2000")).isEqualTo(
        model(o -> tag(o, "env", "dev") && o.size() >= 2000, byTime));
    assertThat(walk("metadata.project=apollo&sort_order=desc")).isEqualTo(
        model(o -> meta(o, "project", "apollo"), BY_KEY.reversed()));
  }

  @Test
  void cursorsStayBoundToTheirFiltersAndBadFiltersAreProblems() {
    ApiClient.Response first = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=2&metadata.project=apollo");
    String cursor = first.body().get("pagination").get("next_cursor").asText();
    ApiClient.Response other = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=2&metadata.project=gemini&cursor="
        + ApiClient.q(cursor));
    assertThat(other.status()).isEqualTo(400);
    assertThat(api.get("/v1/buckets/" + BUCKET + "/objects?metadata.=x").status()).isEqualTo(400);
    assertThat(api.get("/v1/buckets/" + BUCKET + "/objects?tag.env=a&tag.env=b").status()).isEqualTo(400);
    ApiClient.Response stats = api.get("/v1/buckets/" + BUCKET + "/objects?include_stats=true");
    assertThat(stats.status()).isEqualTo(400);
    assertThat(stats.body().toString()).contains("include_stats");
  }

  @Test
  void folderViewListsTheFoldersHoldingAMatch() {
    ApiClient.Response r = api.get("/v1/buckets/" + BUCKET + "/objects?delimiter=/&prefix=d2/&tag.Env=PROD");
    assertThat(r.status()).isEqualTo(200);
    List<String> expected = objects.stream().filter(o -> o.key().startsWith("d2/") && tag(o, "Env", "PROD"))
        .map(o -> o.key().substring(0, o.key().indexOf('/', 3) + 1)).distinct().sorted().toList();
    List<String> prefixes = new ArrayList<>();
    r.body().get("common_prefixes").forEach(p -> prefixes.add(p.asText()));
    assertThat(prefixes).isNotEmpty().isEqualTo(expected);
  }

  @Test
  void folderSizesAreExactAndFollowChanges() {
    String bucket = "sizes";
    index.database().jdbi().useHandle(h -> h.execute("""
        INSERT INTO objects (bucket, key, size, last_modified, sequencer, deleted, event_time)
        VALUES ('sizes', 'a/1', 10, '2025-01-01T00:00:00Z', '1', false, now()),
               ('sizes', 'a/b/2', 20, '2025-01-03T00:00:00Z', '1', false, now()),
               ('sizes', 'a/b/3', 30, '2025-01-02T00:00:00Z', '1', false, now()),
               ('sizes', 'c', 5, '2025-01-04T00:00:00Z', '1', false, now())"""));
    assertThat(stats(bucket, "")).isEqualTo("{\"prefix\":\"\",\"objects\":4,\"bytes\":65,\"last_modified\":\"2025-01-04T00:00:00Z\"}");
    assertThat(stats(bucket, "a/")).isEqualTo("{\"prefix\":\"a/\",\"objects\":3,\"bytes\":60,\"last_modified\":\"2025-01-03T00:00:00Z\"}");
    assertThat(stats(bucket, "zz/")).isEqualTo("{\"prefix\":\"zz/\",\"objects\":0,\"bytes\":0,\"last_modified\":null}");
    // The newest object of a/ and a/b/ goes: their newest falls back to the next one.
    index.delete(bucket, "a/b/2");
    assertThat(stats(bucket, "a/b/")).isEqualTo("{\"prefix\":\"a/b/\",\"objects\":1,\"bytes\":30,\"last_modified\":\"2025-01-02T00:00:00Z\"}");
    assertThat(stats(bucket, "a/")).isEqualTo("{\"prefix\":\"a/\",\"objects\":2,\"bytes\":40,\"last_modified\":\"2025-01-02T00:00:00Z\"}");
    index.delete(bucket, "a/b/3");
    assertThat(stats(bucket, "a/b/")).isEqualTo("{\"prefix\":\"a/b/\",\"objects\":0,\"bytes\":0,\"last_modified\":null}");

    ApiClient.Response page = api.get("/v1/buckets/sizes/objects?delimiter=/&include_stats=true&include_total=true");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body().get("folders").toString()).isEqualTo(
        "[{\"prefix\":\"a/\",\"objects\":1,\"bytes\":10,\"last_modified\":\"2025-01-01T00:00:00Z\"}]");
    assertThat(page.body().get("pagination").get("total_count").asLong()).isEqualTo(2);
    assertThat(page.body().get("pagination").has("total_is_estimate")).isFalse();

    assertThat(api.get("/v1/buckets/sizes/stats?prefix=a").status()).isEqualTo(400);
    assertThat(api.get("/v1/buckets/sizes/stats?depth=1").status()).isEqualTo(400);
  }

  @Test
  void totalsFromFolderSizesEqualCounts() {
    for (String prefix : List.of("", "d0/", "d3/e1/")) {
      ApiClient.Response r = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=1&include_total=true"
          + (prefix.isEmpty() ? "" : "&prefix=" + ApiClient.q(prefix)));
      assertThat(r.body().get("pagination").get("total_count").asLong()).as(prefix)
          .isEqualTo(objects.stream().filter(o -> o.key().startsWith(prefix)).count());
    }
    ApiClient.Response filtered = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=1&include_total=true&tag.env=prod");
    assertThat(filtered.body().get("pagination").get("total_count").asLong())
        .isEqualTo(objects.stream().filter(o -> tag(o, "env", "prod")).count());
  }

  private static String stats(String bucket, String prefix) {
    ApiClient.Response r = api.get("/v1/buckets/" + bucket + "/stats" + (prefix.isEmpty() ? "" : "?prefix=" + ApiClient.q(prefix)));
    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    return r.body().toString();
  }
}
