package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Buckets, status and freshness, metrics, OpenAPI and the API page. */
class ServiceEndpointsIT {

  private static IndexFixture index;
  private static ApiClient api;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    index = IndexFixture.create("service_endpoints_it");
    api = index.startApi();
    index.put(List.of(
        new IndexFixture.Row("b-one", "k", 1, Instant.parse("2025-01-01T00:00:00Z"), null),
        new IndexFixture.Row("b-two", "k", 1, Instant.parse("2025-01-01T00:00:00Z"), null),
        new IndexFixture.Row("b-gone", "k", 1, Instant.parse("2025-01-01T00:00:00Z"), null)));
    index.delete("b-gone", "k");
    index.database().jdbi().useHandle(h -> h.execute("""
        INSERT INTO indexer_progress (consumer_group, topic, partition, next_offset, last_event_time)
        VALUES ('g', 's3-events', 0, 42, '2025-06-01T12:00:00.123456Z'),
               ('g', 's3-events', 1, 7, '2025-06-01T11:00:00Z')"""));
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void bucketsListsThoseWithLiveObjects() {
    assertThat(api.get("/v1/buckets").body().path("data").findValuesAsText("name"))
        .containsExactly("b-one", "b-two");
    assertThat(api.get("/v1/buckets?x=1").status()).isEqualTo(400);
  }

  @Test
  void statusAndTheFreshnessHeaderShowTheNewestAppliedEvent() throws Exception {
    var status = api.get("/v1/status").body();
    assertThat(status.path("last_event_time").asText()).isEqualTo("2025-06-01T12:00:00.123456Z");
    assertThat(status.path("partitions")).hasSize(2);
    assertThat(status.path("partitions").get(0).path("next_offset").asLong()).isEqualTo(42);
    HttpResponse<String> page = get("/v1/buckets/b-one/objects");
    assertThat(page.headers().firstValue("X-Index-Last-Event-Time")).hasValue("2025-06-01T12:00:00.123456Z");
    // A request without an id gets a fresh random (version 4) UUID; one with an id keeps it.
    java.util.UUID generated = java.util.UUID.fromString(page.headers().firstValue("X-Request-Id").orElseThrow());
    assertThat(generated.version()).isEqualTo(4);
    assertThat(generated.variant()).isEqualTo(2);
    assertThat(get("/v1/buckets/b-one/objects").headers().firstValue("X-Request-Id"))
        .isPresent().get().isNotEqualTo(generated.toString());
    HttpResponse<String> traced = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + api.port() + "/v1/buckets/b-one/objects"))
        .header("X-Request-Id", "trace-42").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(traced.headers().firstValue("X-Request-Id")).hasValue("trace-42");
  }

  @Test
  void metricsCountRequestsByRouteAndStatus() throws Exception {
    get("/v1/buckets/b-one/objects");
    get("/v1/buckets/b-one/objects?page_size=0");
    String metrics = get("/metrics").body();
    assertThat(metrics).contains("http_server_requests_seconds_bucket")
        .contains("route=\"/v1/buckets/{bucket}/objects\"")
        .contains("status=\"400\"").contains("status=\"200\"")
        .contains("jvm_memory_used_bytes");
  }

  @Test
  void openApiDescribesEveryListingParameter() throws Exception {
    HttpResponse<String> spec = get("/openapi.json");
    assertThat(spec.statusCode()).isEqualTo(200);
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(spec.body());
    List<String> names = json.path("paths").path("/v1/buckets/{bucket}/objects").path("get")
        .path("parameters").findValuesAsText("name");
    assertThat(names).contains("bucket", "page_size", "cursor", "sort_by", "sort_order", "prefix",
        "delimiter", "start_after", "content_type", "min_size", "max_size", "modified_after",
        "modified_before", "include_total");
    HttpResponse<String> page = get("/docs");
    assertThat(page.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    assertThat(page.body()).contains("page_size", "delimiter", "invalid_cursor");
  }

  @Test
  void theBrowserPageIsOneSelfContainedDocumentWhoseOnlyScriptIsItsOwn() throws Exception {
    HttpResponse<String> root = get("/");
    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("location")).hasValue("/browse");
    HttpResponse<String> page = get("/browse?bucket=b-one&prefix=a%2F&sort=size");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
    String html = page.body();
    // Nothing from elsewhere: no URL with a scheme or host in a src or href, no external script.
    assertThat(html).doesNotContainPattern("(src|href)=\"(https?:)?//").doesNotContain("<script src");
    // The policy admits exactly the inlined script and style, by digest, and requests to this origin.
    String policy = page.headers().firstValue("content-security-policy").orElseThrow();
    String script = html.substring(html.indexOf("<script>") + 8, html.indexOf("</script>"));
    String style = html.substring(html.indexOf("<style>") + 7, html.indexOf("</style>"));
    assertThat(policy).contains("script-src '" + digest(script) + "'").contains("style-src '" + digest(style) + "'")
        .contains("connect-src 'self'").contains("default-src 'none'");
    assertThat(html.indexOf("<script>")).isEqualTo(html.lastIndexOf("<script>"));
    HttpResponse<String> config = get("/browse/config.json");
    assertThat(config.body()).isEqualTo("{\"open\":true,\"download_port\":null}");
  }

  private static String digest(String text) throws Exception {
    return "sha256-" + java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
        .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
