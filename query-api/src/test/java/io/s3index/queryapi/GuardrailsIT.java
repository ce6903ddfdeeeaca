package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every API query runs under a statement timeout; include_total never runs past its own: on a
 * 1 M-object bucket with a tight count timeout it answers the planner's estimate, and eight such
 * requests at once leave page requests their connections.
 */
class GuardrailsIT {

  private static IndexFixture index;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("guardrails_it");
    index.database().jdbi().useHandle(h -> {
      h.execute("""
          INSERT INTO objects (bucket, key, size, last_modified, sequencer, event_time)
          SELECT 'million', 'k/' || lpad(g::text, 7, '0'), g % 5000, timestamptz '2025-01-01' + g * interval '1 s',
                 lpad(to_hex(g), 16, '0'), timestamptz '2025-01-01'
          FROM generate_series(1, 1000000) g""");
      h.execute("ANALYZE objects");
    });
    api = index.startApi(ApiConfig.of("127.0.0.1", 0, index.config())
        .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(1)), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  @Test
  void includeTotalAnswersTheEstimateWhenTheCountCannotFinishInTime() {
    // A filter (min_size) makes the total a count, which cannot finish in time here.
    ApiClient.Response page = api.get("/v1/buckets/million/objects?page_size=10&include_total=true&min_size=0");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body().at("/pagination/total_is_estimate").asBoolean()).isTrue();
    long total = page.body().at("/pagination/total_count").asLong();
    assertThat(total).isBetween(500_000L, 2_000_000L);
    assertThat(page.body().get("data")).hasSize(10);
    // Without a filter the total is the bucket's kept size: exact, at once.
    ApiClient.Response whole = api.get("/v1/buckets/million/objects?page_size=10&include_total=true");
    assertThat(whole.body().at("/pagination/total_is_estimate").isMissingNode()).isTrue();
    assertThat(whole.body().at("/pagination/total_count").asLong()).isEqualTo(1_000_000L);
  }

  @Test
  void concurrentTotalsDoNotStarvePages() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      List<Future<ApiClient.Response>> totals = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        totals.add(pool.submit(() -> api.get("/v1/buckets/million/objects?page_size=5&include_total=true&min_size="
            + 10)));
      }
      List<Future<ApiClient.Response>> pages = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        pages.add(pool.submit(() -> api.get("/v1/buckets/million/objects?page_size=50&sort_by=size")));
      }
      for (Future<ApiClient.Response> f : totals) {
        ApiClient.Response r = f.get();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().at("/pagination/total_count").isNumber()).isTrue();
      }
      for (Future<ApiClient.Response> f : pages) {
        assertThat(f.get().status()).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aQueryPastTheStatementTimeoutIs503WithRetryAfter() {
    // A lock held elsewhere makes the page query wait past the 1 s statement timeout.
    try (Handle locker = index.database().jdbi().open()) {
      locker.begin();
      locker.execute("LOCK TABLE objects IN ACCESS EXCLUSIVE MODE");
      ApiClient.Response r = api.get("/v1/buckets/million/objects?page_size=10");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.contentType()).startsWith("application/problem+json");
      assertThat(r.body().get("error").asText()).isEqualTo("unavailable");
      assertThat(r.body().get("detail").asText()).contains("statement timeout");
      locker.rollback();
    }
    assertThat(api.get("/v1/buckets/million/objects?page_size=10").status()).isEqualTo(200);
  }
}
