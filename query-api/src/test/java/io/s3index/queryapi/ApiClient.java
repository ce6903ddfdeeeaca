package io.s3index.queryapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** A small HTTP client for tests of the query API (shared with other modules' tests). */
public final class ApiClient {

  /** Status, content type and parsed JSON body (null if empty). */
  public record Response(int status, String contentType, JsonNode body) {}

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper mapper = new ObjectMapper();
  private final String base;
  private final int port;

  public ApiClient(int port) {
    this.base = "http://127.0.0.1:" + port;
    this.port = port;
  }

  public int port() {
    return port;
  }

  /** GET a path with a raw (already encoded) query string. */
  public Response get(String pathAndQuery) {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      JsonNode body = r.body().length == 0 ? null : mapper.readTree(r.body());
      return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(""), body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * GET over a plain socket, sending the request target byte for byte (java.net.URI refuses
   * malformed escapes, which is exactly what some tests must send).
   */
  public Response getRaw(String target) {
    URI uri = URI.create(base);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      String raw = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int headerEnd = raw.indexOf("\r\n\r\n");
      String[] head = raw.substring(0, headerEnd).split("\r\n");
      int status = Integer.parseInt(head[0].split(" ")[1]);
      String contentType = "";
      for (String line : head) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:")) {
          contentType = line.substring(13).trim();
        }
      }
      String body = raw.substring(headerEnd + 4);
      if (raw.substring(0, headerEnd).toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
        body = body.substring(body.indexOf("\r\n") + 2, body.lastIndexOf("\r\n0\r\n"));
      }
      return new Response(status, contentType, body.isEmpty() ? null : mapper.readTree(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Percent-encodes a query value. */
  public static String q(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** Percent-encodes an object key for a path, keeping its slashes. */
  public static String path(String key) {
    StringBuilder out = new StringBuilder();
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }
}
