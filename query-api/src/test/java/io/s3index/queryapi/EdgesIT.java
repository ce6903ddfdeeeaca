package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Edges of the HTTP API: awkward keys, strict numbers, unknown parameters, and honest statuses. */
class EdgesIT {

  private static final String[] AWKWARD_KEYS = {"folder/", "a//b", "./x", "a/../b", "a/./b", "../up", "x/..",
      "plus+sign", "sp ace", "//lead", "ends//"};

  private static IndexFixture index;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("edges_it");
    api = index.startApi();
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (String key : AWKWARD_KEYS) {
      rows.add(new IndexFixture.Row("edges", key, key.length(), Instant.parse("2025-01-01T00:00:00Z"), null));
    }
    rows.add(new IndexFixture.Row("edges", "folder", 1, Instant.parse("2025-01-01T00:00:00Z"), null));
    index.put(rows);
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  /** Status, headers and body of a request sent byte for byte. */
  private record Raw(int status, String head, String body) {}

  private static Raw send(String method, String target, String extraHeaders) {
    try (Socket socket = new Socket("127.0.0.1", api.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extraHeaders
          + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      String raw = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int headerEnd = raw.indexOf("\r\n\r\n");
      String head = raw.substring(0, headerEnd);
      return new Raw(Integer.parseInt(head.split(" ")[1]), head.toLowerCase(Locale.ROOT), raw.substring(headerEnd + 4));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void keysAreAddressedExactlyAsStoredWithTheirSlashesAsSentOrEncoded() {
    for (String key : AWKWARD_KEYS) {
      ApiClient.Response asSent = api.getRaw("/v1/buckets/edges/objects/" + ApiClient.path(key));
      assertThat(asSent.status()).as(key).isEqualTo(200);
      assertThat(asSent.body().get("key").asText()).as(key).isEqualTo(key);
      ApiClient.Response encoded = api.getRaw("/v1/buckets/edges/objects/" + ApiClient.path(key).replace("/", "%2F"));
      assertThat(encoded.status()).as(key + " with %2F").isEqualTo(200);
      assertThat(encoded.body().get("key").asText()).as(key + " with %2F").isEqualTo(key);
    }
    assertThat(api.getRaw("/v1/buckets/edges/objects/folder").body().get("key").asText()).isEqualTo("folder");
    assertThat(api.getRaw("/v1/buckets/edges/objects/folder//").status()).isEqualTo(404);
  }

  @Test
  void numbersAreAsciiDigitsWithoutASign() {
    for (String bad : new String[] {"%D9%A3", "%2B5", "+5", "-1", "1e2", "0x10", "%EF%BC%95"}) {
      assertThat(api.get("/v1/buckets/edges/objects?page_size=" + bad).status()).as("page_size=" + bad).isEqualTo(400);
      assertThat(api.get("/v1/buckets/edges/objects?min_size=" + bad).status()).as("min_size=" + bad).isEqualTo(400);
    }
    assertThat(api.get("/v1/buckets/edges/objects?page_size=3&min_size=0").status()).isEqualTo(200);
  }

  @Test
  void unknownParametersAre400OnEveryEndpoint() {
    for (String path : new String[] {"/v1/status", "/v1/buckets", "/v1/buckets/edges/objects",
        "/v1/buckets/edges/objects/folder", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"}) {
      Raw r = send("GET", path + "?foo=1", "");
      assertThat(r.status()).as(path).isEqualTo(400);
      assertThat(r.head()).as(path).contains("content-type: application/problem+json");
      assertThat(r.body()).as(path).contains("\"error\":\"validation_error\"", "foo");
    }
  }

  @Test
  void statusesKeepTheirMeaning() {
    Raw post = send("POST", "/v1/buckets/edges/objects", "");
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.head()).contains("allow: get", "content-type: application/problem+json");
    assertThat(post.body()).contains("\"error\":\"method_not_allowed\"");
    assertThat(send("DELETE", "/v1/status", "").status()).isEqualTo(405);
    assertThat(send("GET", "/v1/nothing-here", "").status()).isEqualTo(404);

    Raw longUri = send("GET", "/v1/buckets/edges/objects?prefix=" + "x".repeat(70_000), "");
    assertThat(longUri.status()).isEqualTo(414);
    assertThat(longUri.head()).contains("content-type: application/problem+json");
    Raw bigHeader = send("GET", "/v1/buckets/edges/objects", "X-Big: " + "y".repeat(70_000) + "\r\n");
    assertThat(bigHeader.status()).isEqualTo(431);
    assertThat(bigHeader.head()).contains("content-type: application/problem+json");
  }
}
