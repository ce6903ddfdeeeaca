package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cursors cannot be forged, truncated, replayed elsewhere or used after they expire. */
class CursorMisuseIT {

  private static IndexFixture index;
  private static ApiClient api;
  private static MutableClock clock;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("cursor_misuse_it");
    clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    api = index.startApi(ApiConfig.of("127.0.0.1", 0, index.config()).withCursorTtl(Duration.ofHours(1)), clock);
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (String bucket : List.of("alpha", "beta")) {
      for (int i = 0; i < 30; i++) {
        rows.add(new IndexFixture.Row(bucket, "dir/k" + i, i, Instant.parse("2025-01-01T00:00:00Z"), "text/plain"));
      }
    }
    index.put(rows);
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static String next(String query) {
    ApiClient.Response r = api.get(query);
    assertThat(r.status()).isEqualTo(200);
    return r.body().path("pagination").path("next_cursor").asText();
  }

  private static void assertInvalidCursor(String query) {
    ApiClient.Response r = api.getRaw(query);
    assertThat(r.status()).as(query).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.body().path("error").asText()).as(query).isEqualTo("invalid_cursor");
  }

  @Test
  void tamperedTruncatedAndRandomCursorsAreRejected() {
    String base = "/v1/buckets/alpha/objects?page_size=5";
    String cursor = next(base);
    assertThat(api.get(base + "&cursor=" + cursor).status()).isEqualTo(200);
    byte[] raw = Base64.getUrlDecoder().decode(cursor);
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      byte[] copy = raw.clone();
      copy[random.nextInt(copy.length)] ^= (byte) (1 + random.nextInt(255));
      assertInvalidCursor(base + "&cursor=" + Base64.getUrlEncoder().withoutPadding().encodeToString(copy));
    }
    for (int cut = 1; cut < cursor.length(); cut += 3) {
      assertInvalidCursor(base + "&cursor=" + cursor.substring(0, cut));
    }
    for (int i = 0; i < 100; i++) {
      byte[] junk = new byte[random.nextInt(120) + 1];
      random.nextBytes(junk);
      assertInvalidCursor(base + "&cursor=" + Base64.getUrlEncoder().withoutPadding().encodeToString(junk));
    }
    // Past Jetty's URI limit the answer is 414, still a problem document, never HTML.
    ApiClient.Response huge = api.getRaw(base + "&cursor=" + "A".repeat(9000));
    assertThat(huge.status()).as("9000-character cursor").isEqualTo(414);
    assertThat(huge.contentType()).startsWith("application/problem+json");
    assertThat(huge.body().path("error").asText()).isEqualTo("validation_error");
  }

  @Test
  void cursorsAreBoundToBucketFiltersAndSort() {
    String cursor = next("/v1/buckets/alpha/objects?page_size=5&prefix=dir/");
    assertInvalidCursor("/v1/buckets/beta/objects?page_size=5&prefix=dir/&cursor=" + cursor);
    assertInvalidCursor("/v1/buckets/alpha/objects?page_size=5&prefix=dir/k&cursor=" + cursor);
    assertInvalidCursor("/v1/buckets/alpha/objects?page_size=5&cursor=" + cursor);
    assertInvalidCursor("/v1/buckets/alpha/objects?page_size=5&prefix=dir/&sort_by=size&cursor=" + cursor);
    assertInvalidCursor("/v1/buckets/alpha/objects?page_size=5&prefix=dir/&sort_order=desc&cursor=" + cursor);
    assertInvalidCursor("/v1/buckets/alpha/objects?page_size=5&prefix=dir/&min_size=1&cursor=" + cursor);
    assertInvalidCursor("/v1/buckets/alpha/objects?page_size=5&prefix=dir/&delimiter=/&cursor=" + cursor);
    // The page size is not part of the binding: a client may change it between pages.
    assertThat(api.get("/v1/buckets/alpha/objects?page_size=7&prefix=dir/&cursor=" + cursor).status())
        .isEqualTo(200);
  }

  @Test
  void cursorsExpire() {
    String cursor = next("/v1/buckets/alpha/objects?page_size=2&sort_by=last_modified");
    clock.advance(Duration.ofMinutes(59));
    assertThat(api.get("/v1/buckets/alpha/objects?page_size=2&sort_by=last_modified&cursor=" + cursor).status())
        .isEqualTo(200);
    clock.advance(Duration.ofMinutes(2));
    ApiClient.Response expired = api.get("/v1/buckets/alpha/objects?page_size=2&sort_by=last_modified&cursor=" + cursor);
    assertThat(expired.status()).isEqualTo(400);
    assertThat(expired.body().path("detail").asText()).contains("expired");
  }
}
