package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Thousands of random parameter sets, raw bytes included: never a 5xx, always JSON. */
class FuzzIT {

  private static IndexFixture index;
  private static ApiClient api;
  private static final String[] NAMES = {"page_size", "cursor", "sort_by", "sort_order", "prefix",
      "delimiter", "start_after", "content_type", "min_size", "max_size", "modified_after",
      "modified_before", "include_total", "bogus", "", "page_size[]", "%ZZ", "Page_Size"};

  @BeforeAll
  static void start() {
    index = IndexFixture.create("fuzz_it");
    api = index.startApi();
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      rows.add(new IndexFixture.Row("fuzz", "k/" + i, i, Instant.parse("2025-01-01T00:00:00Z").plusSeconds(i), "text/plain"));
    }
    index.put(rows);
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static String value(Random random, List<String> cursors) {
    return switch (random.nextInt(16)) {
      case 0 -> Integer.toString(random.nextInt());
      case 1 -> Long.toString(random.nextLong());
      case 2 -> "99999999999999999999999";
      case 3 -> "";
      case 4 -> "%" + Integer.toHexString(random.nextInt(256));
      case 5 -> "%C3%28";
      case 6 -> "%00";
      case 7 -> "2025-01-01T00:00:00Z";
      case 8 -> "+275760-09-13T00:00:00Z";
      case 9 -> "key";
      case 10 -> "desc";
      case 11 -> "image%2F*";
      case 12 -> cursors.isEmpty() ? "x" : cursors.get(random.nextInt(cursors.size()));
      case 13 -> Base64.getUrlEncoder().encodeToString(new byte[random.nextInt(64)]);
      case 14 -> "%F0%9F%98%80".repeat(random.nextInt(300));
      default -> {
        StringBuilder s = new StringBuilder();
        for (int i = 0, n = random.nextInt(20); i < n; i++) {
          char c = (char) (0x21 + random.nextInt(0x5e));
          s.append(c == '&' || c == '#' || c == '%' ? 'x' : c);
        }
        yield s.toString();
      }
    };
  }

  @Test
  void noParameterCombinationCausesAServerError() {
    Random random = new Random(99);
    List<String> cursors = new ArrayList<>();
    for (String q : List.of("page_size=3", "page_size=3&sort_by=size", "page_size=2&delimiter=/",
        "page_size=2&sort_by=last_modified&sort_order=desc")) {
      cursors.add(api.get("/v1/buckets/fuzz/objects?" + q).body().path("pagination").path("next_cursor").asText());
    }
    int clientErrors = 0;
    for (int i = 0; i < 3000; i++) {
      StringBuilder query = new StringBuilder();
      for (int p = 0, n = random.nextInt(5); p < n; p++) {
        if (p > 0) {
          query.append('&');
        }
        query.append(NAMES[random.nextInt(NAMES.length)]).append('=').append(value(random, cursors));
      }
      String bucket = random.nextInt(10) == 0 ? "fu%2Fzz" : "fuzz";
      String path = random.nextInt(8) == 0
          ? "/v1/buckets/" + bucket + "/objects/" + value(random, cursors).replace("?", "")
          : "/v1/buckets/" + bucket + "/objects";
      ApiClient.Response r = api.getRaw(path + "?" + query);
      assertThat(r.status()).as("%s?%s", path, query).isBetween(200, 499);
      assertThat(r.contentType()).as("%s?%s", path, query).containsAnyOf("application/json", "application/problem+json");
      if (r.status() >= 400) {
        clientErrors++;
        assertThat(r.body().path("error").asText()).as("%s?%s", path, query).isNotEmpty();
      }
    }
    assertThat(clientErrors).isBetween(100, 2999);
  }
}
