package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.IndexFixture;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every column of an object comes back as stored, through both the listing and the single-object
 * answer, whatever its text holds: the answers are written from the database's bytes, not by a
 * JSON library.
 */
class ObjectJsonIT {

  private static final String BUCKET = "json";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Controls, quotes, backslashes, DEL, non-ASCII. */
  private static final List<String> KEYS = List.of(
      "a\tb", "a\nb", "a\rb", "a\u0001\u001fb", "a\"b", "a/b", "a\\N", "a\\b", "a\u007fb", "caf\u00e9",
      "\u2028line\u2029", "\u7f8e\u8853", "\ud83d\ude00");
  private static IndexFixture index;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("object_json_it");
    api = index.startApi();
    index.database().jdbi().useHandle(h -> {
      for (int i = 0; i < KEYS.size(); i++) {
        // Every other row has every optional column null.
        boolean full = i % 2 == 0;
        h.createUpdate("""
                INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, storage_class,
                                     version_id, sequencer, deleted, metadata, event_time)
                VALUES (:bucket, :key, :size, :etag, :type, '2025-06-01T12:00:00.123456Z', :class, :version,
                        '01', false, CAST(:metadata AS jsonb), now())""")
            .bind("bucket", BUCKET)
            .bind("key", KEYS.get(i))
            .bind("size", i * 1_000_000_000_000L)
            .bind("etag", full ? "\"e-" + i + "\"" : null)
            .bind("type", full ? "text/plain; charset=\"utf-8\"" : null)
            .bind("class", full ? "STANDARD" : null)
            .bind("version", full ? "v\\" + i : null)
            .bind("metadata", full ? "{\"note\": \"" + i + " \\u00e9\\t\\\"x\\\"\", \"n\": [1, null]}" : null)
            .execute();
      }
    });
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static void assertObject(JsonNode o) throws Exception {
    int i = KEYS.indexOf(o.path("key").asText());
    assertThat(i).as(o.toString()).isNotNegative();
    boolean full = i % 2 == 0;
    assertThat(o.path("key").asText()).isEqualTo(KEYS.get(i));
    assertThat(o.path("size").asLong()).isEqualTo(i * 1_000_000_000_000L);
    assertThat(o.path("last_modified").asText()).isEqualTo("2025-06-01T12:00:00.123456Z");
    if (full) {
      assertThat(o.path("etag").asText()).isEqualTo("\"e-" + i + "\"");
      assertThat(o.path("content_type").asText()).isEqualTo("text/plain; charset=\"utf-8\"");
      assertThat(o.path("storage_class").asText()).isEqualTo("STANDARD");
      assertThat(o.path("version_id").asText()).isEqualTo("v\\" + i);
      assertThat(o.path("metadata")).isEqualTo(MAPPER.readTree("{\"note\": \"" + i + " \u00e9\\t\\\"x\\\"\", \"n\": [1, null]}"));
    } else {
      for (String field : List.of("etag", "content_type", "storage_class", "version_id", "metadata")) {
        assertThat(o.has(field)).as(field).isTrue();
        assertThat(o.get(field).isNull()).as(field).isTrue();
      }
    }
  }

  @Test
  void listingShowsEveryColumnAsStored() throws Exception {
    // More times than the driver's threshold for server-prepared statements, so both the first
    // executions and the prepared ones are read.
    for (int round = 0; round < 8; round++) {
      List<JsonNode> objects = new ArrayList<>();
      String cursor = null;
      do {
        ApiClient.Response page = api.get("/v1/buckets/" + BUCKET + "/objects?page_size=5"
            + (cursor == null ? "" : "&cursor=" + cursor));
        assertThat(page.status()).as(String.valueOf(page.body())).isEqualTo(200);
        assertThat(page.contentType()).startsWith("application/json");
        page.body().path("data").forEach(objects::add);
        cursor = page.body().path("pagination").path("next_cursor").textValue();
      } while (cursor != null);
      assertThat(objects.stream().map(o -> o.path("key").asText()).toList())
          .isEqualTo(KEYS.stream().sorted((a, b) -> Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))).toList());
      for (JsonNode o : objects) {
        assertObject(o);
      }
    }
  }

  @Test
  void singleObjectShowsEveryColumnAsStored() throws Exception {
    for (int i = 0; i < KEYS.size(); i++) {
      ApiClient.Response one = api.getRaw("/v1/buckets/" + BUCKET + "/objects/" + ApiClient.path(KEYS.get(i)));
      assertThat(one.status()).as(KEYS.get(i)).isEqualTo(200);
      assertObject(one.body());
      assertThat(one.body().path("key").asText()).isEqualTo(KEYS.get(i));
    }
  }

  @Test
  void aPageHasItsLengthUncompressedAndIsGzippedWhenAsked() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    // Far larger than the server's output buffer, which would otherwise find the length itself.
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      rows.add(new IndexFixture.Row("json-big", "object-" + i, i, Instant.EPOCH, "text/plain"));
    }
    index.put(rows);
    URI uri = URI.create("http://127.0.0.1:" + api.port() + "/v1/buckets/json-big/objects?page_size=1000");
    HttpResponse<byte[]> plain = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.headers().firstValue("content-length")).contains(String.valueOf(plain.body().length));
    assertThat(plain.headers().firstValue("transfer-encoding")).isEmpty();
    JsonNode page = MAPPER.readTree(plain.body());
    assertThat(page.path("data")).hasSize(400);
    assertThat(plain.body().length).isGreaterThan(40_000);

    HttpResponse<byte[]> gzipped = http.send(HttpRequest.newBuilder(uri).header("Accept-Encoding", "gzip").build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(gzipped.statusCode()).isEqualTo(200);
    assertThat(gzipped.headers().firstValue("content-encoding")).contains("gzip");
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
      // The walk's changes_cursor names the snapshot each request read in: the cluster's other
      // transactions (other tests' databases) may move it between the two.
      JsonNode unzipped = MAPPER.readTree(in.readAllBytes());
      ((com.fasterxml.jackson.databind.node.ObjectNode) unzipped.get("pagination")).remove("changes_cursor");
      ((com.fasterxml.jackson.databind.node.ObjectNode) page.get("pagination")).remove("changes_cursor");
      assertThat(unzipped).isEqualTo(page);
    }
  }
}
