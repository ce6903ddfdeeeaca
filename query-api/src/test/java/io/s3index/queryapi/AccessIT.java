package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.queryapi.access.AccessPolicy;
import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.assertj.core.api.Assertions;

/** Bearer tokens scoped to buckets and prefixes; admin tokens; per-token rate limits. */
class AccessIT {

  private static final String ADMIN = "admin-token-0123456789";
  private static final String ALPHA = "alpha-token-0123456789";
  private static final String PHOTOS = "photos-token-012345678";
  private static IndexFixture index;
  private static int port;
  private static int limitedPort;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    index = IndexFixture.create("access_it");
    AccessPolicy policy = AccessPolicy.parse("""
        # admin, a whole bucket, and a prefix of a bucket
        %s *
        %s alpha
        %s beta/photos/ alpha/public/""".formatted(ADMIN, ALPHA, PHOTOS));
    ApiConfig base = ApiConfig.of("127.0.0.1", 0, index.config());
    port = port(index.startApi(base.withAccess(policy, 0, 1), Clock.systemUTC()));
    limitedPort = port(index.startApi(base.withAccess(policy, 2, 3), Clock.systemUTC()));
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (String key : List.of("photos/a.jpg", "photos/b.jpg", "private/x", "public/y")) {
      rows.add(new IndexFixture.Row("alpha", key, 1, Instant.parse("2025-01-01T00:00:00Z"), null));
      rows.add(new IndexFixture.Row("beta", key, 1, Instant.parse("2025-01-01T00:00:00Z"), null));
    }
    index.put(rows);
  }

  private static int port(ApiClient client) {
    return client.port();
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void missingOrUnknownTokensAre401() throws Exception {
    HttpResponse<String> none = get(port, "/v1/buckets/alpha/objects", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(none.body()).contains("\"error\":\"unauthorized\"");
    assertThat(get(port, "/v1/buckets/alpha/objects", "not-a-real-token-at-all").statusCode()).isEqualTo(401);
    assertThat(get(port, "/v1/buckets", null).statusCode()).isEqualTo(401);
    // Health, metrics and docs stay open.
    assertThat(get(port, "/healthz", null).statusCode()).isEqualTo(200);
    assertThat(get(port, "/openapi.json", null).statusCode()).isEqualTo(200);
  }

  @Test
  void aBucketTokenReadsItsBucketOnly() throws Exception {
    assertThat(get(port, "/v1/buckets/alpha/objects", ALPHA).statusCode()).isEqualTo(200);
    assertThat(get(port, "/v1/buckets/alpha/objects/private/x", ALPHA).statusCode()).isEqualTo(200);
    HttpResponse<String> other = get(port, "/v1/buckets/beta/objects", ALPHA);
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.body()).contains("\"error\":\"forbidden\"");
    assertThat(get(port, "/v1/buckets/beta/objects/private/x", ALPHA).statusCode()).isEqualTo(403);
    assertThat(get(port, "/v1/buckets", ALPHA).body()).contains("alpha").doesNotContain("beta");
    assertThat(get(port, "/v1/buckets", ADMIN).body()).contains("alpha", "beta");
  }

  @Test
  void aTokenCannotUseACursorMintedForAnotherBucket() throws Exception {
    HttpResponse<String> page = get(port, "/v1/buckets/beta/objects?page_size=1", ADMIN);
    String cursor = new com.fasterxml.jackson.databind.ObjectMapper().readTree(page.body())
        .path("pagination").path("next_cursor").asText();
    assertThat(get(port, "/v1/buckets/beta/objects?page_size=1&cursor=" + cursor, ALPHA).statusCode()).isEqualTo(403);
    HttpResponse<String> replayed = get(port, "/v1/buckets/alpha/objects?page_size=1&cursor=" + cursor, ALPHA);
    assertThat(replayed.statusCode()).isEqualTo(400);
    assertThat(replayed.body()).contains("invalid_cursor");
  }

  @Test
  void aPrefixTokenReadsOnlyUnderItsPrefixes() throws Exception {
    assertThat(get(port, "/v1/buckets/beta/objects?prefix=photos/", PHOTOS).statusCode()).isEqualTo(200);
    assertThat(get(port, "/v1/buckets/beta/objects?prefix=photos/a", PHOTOS).statusCode()).isEqualTo(200);
    assertThat(get(port, "/v1/buckets/beta/objects/photos/a.jpg", PHOTOS).statusCode()).isEqualTo(200);
    assertThat(get(port, "/v1/buckets/alpha/objects?prefix=public/", PHOTOS).statusCode()).isEqualTo(200);
    HttpResponse<String> wide = get(port, "/v1/buckets/beta/objects", PHOTOS);
    assertThat(wide.statusCode()).isEqualTo(403);
    assertThat(wide.body()).contains("narrow the prefix");
    assertThat(get(port, "/v1/buckets/beta/objects?prefix=private/", PHOTOS).statusCode()).isEqualTo(403);
    assertThat(get(port, "/v1/buckets/beta/objects/private/x", PHOTOS).statusCode()).isEqualTo(403);
    assertThat(get(port, "/v1/buckets/alpha/objects?prefix=photos/", PHOTOS).statusCode()).isEqualTo(403);
  }

  @Test
  void eachTokenHasItsOwnRateLimit() throws Exception {
    int ok = 0;
    HttpResponse<String> limited = null;
    for (int i = 0; i < 20 && limited == null; i++) {
      HttpResponse<String> r = get(limitedPort, "/v1/buckets/alpha/objects?page_size=1", ALPHA);
      if (r.statusCode() == 429) {
        limited = r;
      } else {
        assertThat(r.statusCode()).isEqualTo(200);
        ok++;
      }
    }
    assertThat(limited).as("a 429 after the burst").isNotNull();
    assertThat(ok).isGreaterThanOrEqualTo(3);
    assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
    assertThat(limited.body()).contains("\"error\":\"rate_limited\"");
    // Another token is not affected.
    assertThat(get(limitedPort, "/v1/buckets/alpha/objects?page_size=1", ADMIN).statusCode()).isEqualTo(200);
  }

  @Test
  void configurationIsCheckedAtStart() {
    Map<String, String> db = Map.of("S3INDEX_DB_URL", "jdbc:postgresql://localhost/x");
    Assertions.assertThatThrownBy(() -> ApiConfig.from(new Settings(db)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("S3INDEX_API_TOKENS");
    var open = new java.util.HashMap<>(db);
    open.put("S3INDEX_API_OPEN", "true");
    assertThat(ApiConfig.from(new Settings(open)).access().isOpen()).isTrue();
    var tokens = new java.util.HashMap<>(db);
    tokens.put("S3INDEX_API_TOKENS", "short *");
    Assertions.assertThatThrownBy(() -> ApiConfig.from(new Settings(tokens))).hasMessageContaining("16 characters");
    tokens.put("S3INDEX_API_TOKENS", ADMIN + " *;" + ALPHA + " alpha beta/x/");
    assertThat(ApiConfig.from(new Settings(tokens)).access().tokenCount()).isEqualTo(2);
  }
}
