package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.IndexFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Held waits cost nothing while the database is quiet: many change-feed requests holding their
 * {@code wait} (as abandoned ones do until it ends) run no checks between their first one and the
 * next commit, and all answer as soon as something is committed.
 */
class WaitCostIT {

  private static IndexFixture index;
  private static ApiClient api;
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  @BeforeAll
  static void start() {
    index = IndexFixture.create("wait_cost_it");
    api = index.startApi();
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  @Test
  void quietWaitsRunNoChecksAndAllAnswerOnTheNextCommit() throws Exception {
    index.put(List.of(new IndexFixture.Row("quiet", "a", 1, T0, "text/plain")));
    String cursor = api.get("/v1/buckets/quiet/changes").body().path("pagination").path("next_cursor").asText();
    HttpClient http = HttpClient.newHttpClient();
    List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
    int waiters = 40;
    for (int i = 0; i < waiters; i++) {
      waits.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
          + "/v1/buckets/quiet/changes?wait=20&cursor=" + cursor)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    // Every waiter has made its first check (they all run once, unconditionally).
    long[] start = {Rechecks.CHECKS.get()};
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      long now = Rechecks.CHECKS.get();
      boolean settled = now == start[0] && now > 0;
      start[0] = now;
      return settled;
    });
    long before = Rechecks.CHECKS.get();
    // Quiet for a second and a half: no checks (polling each waiter ten times a second would run
    // 600); at most one round, should a stray commit elsewhere on the server (autovacuum) occur.
    Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
        .until(() -> Rechecks.CHECKS.get() - before <= waiters);
    assertThat(waits).noneMatch(CompletableFuture::isDone);

    index.put(List.of(new IndexFixture.Row("quiet", "b", 2, T0, "text/plain")));
    // Answered by the commit, long before their 20 s wait ends.
    CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get(10, java.util.concurrent.TimeUnit.SECONDS);
    ObjectMapper mapper = new ObjectMapper();
    for (CompletableFuture<HttpResponse<String>> w : waits) {
      var body = mapper.readTree(w.get().body());
      assertThat(body.path("data")).hasSize(1);
      assertThat(body.path("data").get(0).path("key").asText()).isEqualTo("b");
    }
  }
}
