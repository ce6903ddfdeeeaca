package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.embedded.EmbeddedReplica;
import io.s3index.queryapi.access.AccessPolicy;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.shared.db.DatabaseConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The API reading from a real streaming replica of PostgreSQL (made from the embedded server's own
 * binaries with the low-level backup functions), held behind by pausing its replay: walks, the
 * change feed and read-your-writes stay consistent when consecutive requests alternate between
 * an API on the primary and an API on the lagging replica, and a stopped replica is taken out of
 * rotation while the API keeps answering. Both APIs share the cursor secret, as instances do.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicaReadsIT {

  private static final byte[] SECRET = "replica-reads-it-shared-secret".getBytes(StandardCharsets.UTF_8);
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  private static EmbeddedPostgresServer primary;
  private static EmbeddedReplica replica;
  private static IndexFixture index;
  private static ApiClient onPrimary;
  private static ApiClient onReplica;
  private static int s3OnPrimary;
  private static int s3OnReplica;
  private static io.s3index.queryapi.reads.Reads s3Reads;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    primary = EmbeddedPostgresServer.start(0, null);
    DatabaseConfig db = primary.createDatabase("replica_reads");
    index = IndexFixture.on(db);
    replica = primary.startReplica("replica_reads_it");
    onPrimary = index.startApi(config(db), Clock.systemUTC());
    ApiConfig withReplica = config(db).withReadReplicas(List.of(replica.config("replica_reads")), Duration.ofSeconds(8));
    onReplica = index.startApi(withReplica, Clock.systemUTC());
    // Two S3 endpoints sharing the cursor secret: one on the primary, one reading as the API does.
    io.s3index.shared.cursor.CursorCodec codec = new io.s3index.shared.cursor.CursorCodec(SECRET, Duration.ofHours(1), Clock.systemUTC());
    s3OnPrimary = io.s3index.queryapi.s3.S3Endpoint.create(S3ApiConfig.open(0), index.database(), codec,
        new io.s3index.queryapi.access.RateLimiter(0, 1, System::nanoTime), Duration.ofSeconds(5), Clock.systemUTC())
        .start("127.0.0.1", 0).port();
    s3Reads = ApiApp.reads(withReplica, index.database());
    s3OnReplica = io.s3index.queryapi.s3.S3Endpoint.create(S3ApiConfig.open(0), index.database(), codec,
        new io.s3index.queryapi.access.RateLimiter(0, 1, System::nanoTime), Duration.ofSeconds(5), Clock.systemUTC(),
        s3Reads).start("127.0.0.1", 0).port();
  }

  private static ApiConfig config(DatabaseConfig db) {
    return new ApiConfig("127.0.0.1", 0, SECRET, Duration.ofHours(1), false, AccessPolicy.open(), 0, 1, db,
        ApiConfig.DEFAULT_STATEMENT_TIMEOUT, ApiConfig.DEFAULT_COUNT_TIMEOUT, S3ApiConfig.off(), List.of(),
        ApiConfig.DEFAULT_READ_MAX_LAG);
  }

  @AfterAll
  static void stop() {
    if (s3Reads != null) {
      s3Reads.close();
    }
    if (index != null) {
      index.close();
    }
    if (replica != null) {
      replica.close();
    }
    if (primary != null) {
      primary.close();
    }
  }

  private static void put(String bucket, String prefix, int from, int to) {
    index.put(IntStream.range(from, to).mapToObj(i -> new IndexFixture.Row(bucket,
        String.format("%s%05d", prefix, i), i, T0.plusSeconds(i), "text/plain")).toList());
  }

  /** Waits until the replica has replayed everything the primary has written so far. */
  private static void replicaCaughtUp() {
    String target = index.database().jdbi().withHandle(h -> h.createQuery(
        "SELECT pg_current_wal_insert_lsn()::text").mapTo(String.class).one());
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      try (var c = java.sql.DriverManager.getConnection(replica.config("replica_reads").jdbcUrl(), "postgres", "postgres");
          var s = c.createStatement();
          var rs = s.executeQuery("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")) {
        return rs.next() && rs.getBoolean(1);
      }
    });
  }

  private static List<String> keys(JsonNode page) {
    List<String> keys = new ArrayList<>();
    page.path("data").forEach(o -> keys.add(o.path("key").asText()));
    return keys;
  }

  @Test
  @Order(1)
  void aWalkAlternatingBetweenPrimaryAndALaggingReplicaSeesEachObjectOnce() throws Exception {
    put("walk", "a/", 0, 300);
    replicaCaughtUp();
    replica.pauseReplay();
    try {
      put("walk", "b/", 0, 120);
      // A first page without a cursor is read on the replica: it shows the replica's older state.
      JsonNode fromReplica = onReplica.get("/v1/buckets/walk/objects?prefix=b/&page_size=10").body();
      assertThat(fromReplica.path("data")).isEmpty();
      assertThat(onPrimary.get("/v1/buckets/walk/objects?prefix=b/&page_size=10").body().path("data")).hasSize(10);

      // Walks started on either side, continued alternately on both.
      for (ApiClient first : List.of(onPrimary, onReplica)) {
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        ApiClient[] sides = first == onPrimary ? new ApiClient[] {onPrimary, onReplica} : new ApiClient[] {onReplica, onPrimary};
        String cursor = null;
        int page = 0;
        do {
          ApiClient side = sides[page++ % 2];
          ApiClient.Response r = side.get("/v1/buckets/walk/objects?page_size=37"
              + (cursor == null ? "" : "&cursor=" + cursor));
          assertThat(r.status()).isEqualTo(200);
          for (String k : keys(r.body())) {
            assertThat(seen.add(k)).as("returned twice: %s", k).isTrue();
            order.add(k);
          }
          cursor = r.body().path("pagination").path("has_next").asBoolean()
              ? r.body().path("pagination").path("next_cursor").asText() : null;
          // Writes during the walk: a new object appears in neither walk (both began before it).
          if (page == 3) {
            put("walk", "c/", page, page + 1);
          }
        } while (cursor != null);
        int expected = first == onPrimary ? 420 : 300;
        assertThat(order).hasSize(expected).isSorted();
      }
      assertThat(metric(onReplica, "s3index_replica_cursor_reads_passed_on_total")).isPositive();
    } finally {
      replica.resumeReplay();
    }
  }

  @Test
  @Order(2)
  void anS3ListingWalkAlternatingBetweenEndpointsOnPrimaryAndLaggingReplicaSeesEachKeyOnce() throws Exception {
    put("s3walk", "k/", 0, 150);
    replicaCaughtUp();
    replica.pauseReplay();
    try {
      put("s3walk", "m/", 0, 50);
      assertThat(s3Keys(s3Get(s3OnReplica, "/s3walk?list-type=2&prefix=m/"))).isEmpty();
      assertThat(s3Keys(s3Get(s3OnPrimary, "/s3walk?list-type=2&prefix=m/"))).hasSize(50);
      for (int first = 0; first < 2; first++) {
        int[] sides = first == 0 ? new int[] {s3OnPrimary, s3OnReplica} : new int[] {s3OnReplica, s3OnPrimary};
        List<String> walked = new ArrayList<>();
        String token = null;
        int page = 0;
        do {
          String body = s3Get(sides[page++ % 2], "/s3walk?list-type=2&max-keys=23"
              + (token == null ? "" : "&continuation-token=" + java.net.URLEncoder.encode(token, StandardCharsets.UTF_8)));
          walked.addAll(s3Keys(body));
          Matcher next = Pattern.compile("<NextContinuationToken>([^<]+)</NextContinuationToken>").matcher(body);
          token = next.find() ? next.group(1) : null;
        } while (token != null);
        assertThat(walked).doesNotHaveDuplicates().isSorted().hasSize(first == 0 ? 200 : 150);
      }
    } finally {
      replica.resumeReplay();
    }
  }

  private static String s3Get(int port, String target) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private static List<String> s3Keys(String body) {
    List<String> keys = new ArrayList<>();
    Matcher m = Pattern.compile("<Key>([^<]+)</Key>").matcher(body);
    while (m.find()) {
      keys.add(m.group(1));
    }
    return keys;
  }

  @Test
  @Order(3)
  void theChangeFeedNeverGoesBackWhenItsNextReadLandsOnALaggingReplica() throws Exception {
    put("feed", "x/", 0, 5);
    replicaCaughtUp();
    String cursor = onReplica.get("/v1/buckets/feed/changes").body().path("pagination").path("next_cursor").asText();
    replica.pauseReplay();
    try {
      List<String> delivered = new ArrayList<>();
      put("feed", "y/", 0, 40);
      ApiClient[] sides = {onPrimary, onReplica};
      for (int i = 0; delivered.size() < 40 && i < 40; i++) {
        JsonNode page = sides[i % 2].get("/v1/buckets/feed/changes?page_size=7&cursor=" + cursor).body();
        page.path("data").forEach(c -> delivered.add(c.path("key").asText()));
        cursor = page.path("pagination").path("next_cursor").asText();
      }
      assertThat(delivered).hasSize(40).doesNotHaveDuplicates().allMatch(k -> k.startsWith("y/"));
      // Nothing more: the replica's older state does not bring earlier changes back.
      assertThat(onReplica.get("/v1/buckets/feed/changes?cursor=" + cursor).body().path("data")).isEmpty();
      assertThat(onPrimary.get("/v1/buckets/feed/changes?cursor=" + cursor).body().path("data")).isEmpty();
    } finally {
      replica.resumeReplay();
    }
  }

  @Test
  @Order(4)
  void readYourWritesWaitsThroughALaggingReplica() {
    replicaCaughtUp();
    replica.pauseReplay();
    try {
      index.put(List.of(new IndexFixture.Row("ryw", "fresh.txt", 7, T0, "text/plain")));
      assertThat(onReplica.get("/v1/buckets/ryw/objects/fresh.txt").status()).isEqualTo(404);
      ApiClient.Response waited = onReplica.get("/v1/buckets/ryw/objects/fresh.txt?etag=etag&wait=5");
      assertThat(waited.status()).isEqualTo(200);
      assertThat(waited.body().path("size").asLong()).isEqualTo(7);
    } finally {
      replica.resumeReplay();
    }
  }

  @Test
  @Order(5)
  void aReplicaTooFarBehindLeavesTheRotationAndComesBack() throws Exception {
    replicaCaughtUp();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> metric(onReplica, "s3index_replica_in_rotation") == 1);
    replica.pauseReplay();
    try {
      put("lag", "z/", 0, 3);
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> metric(onReplica, "s3index_replica_in_rotation") == 0);
      // Out of rotation, first pages come from the primary: fresh.
      assertThat(onReplica.get("/v1/buckets/lag/objects").body().path("data")).hasSize(3);
      assertThat(metric(onReplica, "s3index_replica_lag_bytes")).isPositive();
    } finally {
      replica.resumeReplay();
    }
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> metric(onReplica, "s3index_replica_in_rotation") == 1);
  }

  @Test
  @Order(6)
  void aStoppedReplicaIsTakenOutOfRotationAndTheApiKeepsAnswering() throws Exception {
    put("stop", "s/", 0, 100);
    replicaCaughtUp();
    String cursor = onReplica.get("/v1/buckets/stop/objects?page_size=40").body().path("pagination").path("next_cursor").asText();
    replica.stop();
    ApiClient.Response next = onReplica.get("/v1/buckets/stop/objects?page_size=40&cursor=" + cursor);
    assertThat(next.status()).isEqualTo(200);
    assertThat(keys(next.body())).hasSize(40).first().isEqualTo("s/00040");
    assertThat(onReplica.get("/v1/buckets/stop/objects?page_size=5").status()).isEqualTo(200);
    assertThat(onReplica.get("/v1/buckets/stop/stats").body().path("objects").asLong()).isEqualTo(100);
    assertThat(onReplica.get("/v1/buckets/stop/changes").status()).isEqualTo(200);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> metric(onReplica, "s3index_replica_in_rotation") == 0);
  }

  private static double metric(ApiClient api, String name) throws Exception {
    String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*\\} ([0-9.eE+-]+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }
}
