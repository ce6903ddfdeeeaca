package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import io.s3index.shared.events.ObjectEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The database refuses writes (as a full disk would) while events arrive: the lag measured from
 * the stored offsets rises, the health check turns unhealthy after the stall timeout and says
 * why, the stuck partitions' metrics count; once writes work again, everything recovers alone.
 */
class StallIT {

  private static final Pattern LAG = Pattern.compile(
      "(?m)^s3index_indexer_consumer_lag\\{[^}]*\\} ([0-9.E]+)$");
  private static final Pattern STUCK = Pattern.compile(
      "(?m)^s3index_indexer_partition_stuck_seconds\\{[^}]*\\} ([0-9.E]+)$");

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static double sum(Pattern metric, String scrape) {
    double total = 0;
    Matcher m = metric.matcher(scrape);
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  @Test
  void lagRisesAndHealthTurnsUnhealthyWhileStuckThenBothRecover() {
    try (Harness harness = new Harness("stall", 2)) {
      IndexerConfig config = harness.config("stall").withMetricsPort(0)
          .withStallTimeout(Duration.ofSeconds(2)).withMaxBackoff(Duration.ofMillis(500));
      try (Indexer indexer = Indexer.start(config, harness.database)) {
        int port = indexer.metricsPort();
        Map<String, Long> expected = new HashMap<>();
        List<ObjectEvent> before = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          before.add(Harness.created("stalled", "before-" + i, i + 1, i));
          expected.put("before-" + i, (long) i);
        }
        harness.sendAll(before, e -> null);
        harness.awaitLive("stalled", expected, Duration.ofSeconds(60));
        await("the lag reads 0").atMost(Duration.ofSeconds(30)).until(() -> sum(LAG, get(port, "/metrics").body()) == 0);
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);

        // The database refuses every write of the indexer's progress, as a full disk would.
        harness.database.jdbi().useHandle(h -> h.execute("""
            CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$;
            CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE ON indexer_progress
                FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes();"""));
        List<ObjectEvent> during = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          during.add(Harness.created("stalled", "during-" + i, 1000 + i, i));
          expected.put("during-" + i, (long) i);
        }
        harness.sendAll(during, e -> null);
        Waits.until("the lag counts the unwritten events", Duration.ofSeconds(30), () -> sum(LAG, get(port, "/metrics").body()) >= 200, indexer::describe);
        Waits.until("the health check turns unhealthy", Duration.ofSeconds(30), () -> get(port, "/healthz").statusCode() == 503, indexer::describe);
        assertThat(get(port, "/healthz").body()).contains("stuck", "No space left on device");
        String scrape = get(port, "/metrics").body();
        assertThat(sum(STUCK, scrape)).isGreaterThan(2);
        assertThat(scrape).containsPattern("s3index_indexer_partition_failed_attempts\\{[^}]*\\} [1-9]");
        assertThat(indexer.stats().records()).isEqualTo(100);

        harness.database.jdbi().useHandle(h -> h.execute("DROP TRIGGER refuse_writes ON indexer_progress"));
        harness.awaitLive("stalled", expected, Duration.ofSeconds(60));
        await("the lag is back to 0").atMost(Duration.ofSeconds(30)).until(() -> sum(LAG, get(port, "/metrics").body()) == 0);
        await("the health check is healthy again").atMost(Duration.ofSeconds(30)).until(() -> get(port, "/healthz").statusCode() == 200);
        assertThat(sum(STUCK, get(port, "/metrics").body())).isZero();
      }
    }
  }
}
