package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A property test driven by the API's own OpenAPI document: for every path and operation it
 * declares, thousands of requests built from the declared parameters (valid values, values out of
 * range, garbage, unknown and repeated parameters, other methods, over-long URIs). Every answer
 * must be a status the document declares for that operation, never a 5xx, with a body that fits
 * the declared schema.
 */
class OpenApiFuzzIT {

  private static final int REQUESTS = 3000;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static IndexFixture index;
  private static ApiClient api;
  private static JsonNode spec;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("openapi_fuzz_it");
    api = index.startApi();
    List<IndexFixture.Row> rows = new ArrayList<>();
    String[] keys = {"a", "a/b", "a/b/c.txt", "folder/", "x//y", "../up", "é/ü 😀", "plus+sign"};
    for (int i = 0; i < 40; i++) {
      rows.add(new IndexFixture.Row("fuzz", keys[i % keys.length] + (i < keys.length ? "" : "/" + i), i,
          Instant.parse("2025-01-01T00:00:00Z").plusSeconds(i), i % 3 == 0 ? "image/png" : "text/plain"));
    }
    index.put(rows);
    spec = api.get("/openapi.json").body();
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private record Raw(int status, String contentType, String body) {}

  private static Raw send(String method, String target) {
    try (Socket socket = new Socket("127.0.0.1", api.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      byte[] raw = socket.getInputStream().readAllBytes();
      int headerEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
      String[] head = new String(raw, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n");
      String type = "";
      boolean chunked = false;
      for (String line : head) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-type:")) {
          type = line.substring(13).trim();
        }
        chunked |= lower.startsWith("transfer-encoding:") && lower.contains("chunked");
      }
      byte[] body = java.util.Arrays.copyOfRange(raw, headerEnd + 4, raw.length);
      return new Raw(Integer.parseInt(head[0].split(" ")[1]), type,
          new String(chunked ? dechunk(body) : body, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] dechunk(byte[] body) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int at = 0;
    byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
    while (true) {
      int eol = indexOf(body, crlf, at);
      int size = Integer.parseInt(new String(body, at, eol - at, StandardCharsets.US_ASCII).trim(), 16);
      if (size == 0) {
        return out.toByteArray();
      }
      out.write(body, eol + 2, size);
      at = eol + 2 + size + 2;
    }
  }

  private static String enc(String s) {
    return ApiClient.path(s).replace("/", "%2F");
  }

  private static String garbage(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "";
      case 1 -> "%ZZ";
      case 2 -> "%C3%28";
      case 3 -> "-1";
      case 4 -> "99999999999999999999";
      case 5 -> "%D9%A3";
      case 6 -> "%F0%9F%98%80".repeat(random.nextInt(40));
      default -> "x" + random.nextInt(1000);
    };
  }

  /** A value for a declared parameter: usually fitting its schema, sometimes not. */
  private static String value(JsonNode parameter, Random random, List<String> cursors) {
    JsonNode schema = parameter.path("schema");
    if (random.nextInt(5) == 0) {
      return garbage(random);
    }
    String name = parameter.path("name").asText();
    if (name.equals("cursor")) {
      return cursors.isEmpty() || random.nextInt(4) == 0 ? garbage(random) : cursors.get(random.nextInt(cursors.size()));
    }
    if (schema.has("enum")) {
      return enc(schema.get("enum").get(random.nextInt(schema.get("enum").size())).asText());
    }
    if (name.equals("wait")) {
      // Long polls: in range they would hold each request up to a minute; the edges are what is fuzzed.
      return new String[] {"0", "0", "0", "0", "1", "61", "-1"}[random.nextInt(7)];
    }
    return switch (schema.path("type").asText()) {
      case "integer" -> {
        long min = schema.path("minimum").asLong(0);
        long max = schema.path("maximum").asLong(min + 10_000);
        yield Long.toString(min + (long) (random.nextDouble() * (max - min + 2)) - 1);
      }
      case "boolean" -> random.nextBoolean() ? "true" : "false";
      default -> "date-time".equals(schema.path("format").asText())
          ? "2025-01-01T00:00:" + String.format("%02d", random.nextInt(60)) + "Z"
          : enc(new String[] {"a", "a/", "folder/", "/", "image/*", "image/png", "text/plain", "é", "a/b/c.txt"}[random.nextInt(9)]);
    };
  }

  @Test
  void everyAnswerIsDeclaredNeverA5xxAndFitsItsSchema() {
    Random random = new Random(20261130);
    List<String> cursors = new ArrayList<>();
    for (String q : List.of("page_size=2", "page_size=2&sort_by=size&sort_order=desc", "page_size=2&delimiter=/")) {
      cursors.add(api.get("/v1/buckets/fuzz/objects?" + q).body().at("/pagination/next_cursor").asText());
    }
    List<String> paths = new ArrayList<>();
    spec.get("paths").fieldNames().forEachRemaining(paths::add);
    Map<String, Integer> seen = new TreeMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      String template = paths.get(random.nextInt(paths.size()));
      JsonNode operation = spec.get("paths").get(template).get("get");
      String path = template
          .replace("{bucket}", random.nextInt(6) == 0 ? enc(garbage(random)) : "fuzz")
          .replace("{key}", random.nextBoolean() ? ApiClient.path(new String[] {"a", "a/b/c.txt", "folder/", "x//y",
              "../up", "é/ü 😀", "nope", "plus+sign"}[random.nextInt(8)]) : enc(garbage(random)));
      StringBuilder query = new StringBuilder();
      for (JsonNode parameter : operation.path("parameters")) {
        if ("query".equals(parameter.path("in").asText()) && random.nextInt(3) == 0) {
          int times = random.nextInt(20) == 0 ? 2 : 1;
          for (int t = 0; t < times; t++) {
            query.append(query.length() == 0 ? "?" : "&").append(parameter.get("name").asText())
                .append('=').append(value(parameter, random, cursors));
          }
        }
      }
      if (random.nextInt(15) == 0) {
        query.append(query.length() == 0 ? "?" : "&").append("unknown_").append(random.nextInt(9)).append("=1");
      }
      if (random.nextInt(200) == 0) {
        query.append(query.length() == 0 ? "?" : "&").append("prefix=").append("z".repeat(70_000));
      }
      String method = random.nextInt(25) == 0 ? new String[] {"POST", "PUT", "DELETE", "PATCH"}[random.nextInt(4)] : "GET";
      Raw answer = send(method, path + query);
      String what = method + " " + (path + query).substring(0, Math.min(200, (path + query).length()))
          + " -> " + answer.status() + " " + answer.body().substring(0, Math.min(300, answer.body().length()));
      assertThat(answer.status()).as(what).isLessThan(500);
      JsonNode response = operation.get("responses").get(Integer.toString(answer.status()));
      assertThat(response).as("declared: " + what).isNotNull();
      response = resolve(response);
      JsonNode content = response.path("content");
      if (content.size() > 0) {
        String mediaType = answer.contentType().split(";")[0].trim();
        assertThat(content.has(mediaType)).as("declared content type " + mediaType + ": " + what).isTrue();
        if (mediaType.endsWith("json")) {
          JsonNode body;
          try {
            body = MAPPER.readTree(answer.body());
          } catch (IOException e) {
            throw new AssertionError("not JSON: " + what, e);
          }
          List<String> violations = new ArrayList<>();
          validate(body, content.get(mediaType).path("schema"), "$", violations);
          assertThat(violations).as("schema of " + what).isEmpty();
        }
      }
      seen.merge(template + " " + answer.status(), 1, Integer::sum);
    }
    assertThat(seen.keySet()).as("statuses seen").anyMatch(s -> s.endsWith(" 200")).anyMatch(s -> s.endsWith(" 400"))
        .anyMatch(s -> s.endsWith(" 405")).anyMatch(s -> s.endsWith(" 404"));
  }

  private static JsonNode resolve(JsonNode node) {
    while (node.has("$ref")) {
      JsonNode target = spec;
      for (String part : node.get("$ref").asText().substring(2).split("/")) {
        target = target.get(part);
      }
      node = target;
    }
    return node;
  }

  /** A small JSON Schema check: the keywords openapi.json uses. */
  private static void validate(JsonNode value, JsonNode schema, String at, List<String> violations) {
    schema = resolve(schema);
    if (schema.isMissingNode() || schema.isEmpty()) {
      return;
    }
    if (value.isNull()) {
      if (!schema.path("nullable").asBoolean(false)) {
        violations.add(at + " is null");
      }
      return;
    }
    String type = schema.path("type").asText("");
    boolean fits = switch (type) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      default -> true;
    };
    if (!fits) {
      violations.add(at + " is not " + type + ": " + value);
      return;
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode e : schema.get("enum")) {
        listed |= e.equals(value);
      }
      if (!listed) {
        violations.add(at + " is not one of " + schema.get("enum") + ": " + value);
      }
    }
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asText())) {
        violations.add(at + " lacks " + required.asText());
      }
    }
    if (value.isObject()) {
      for (Map.Entry<String, JsonNode> field : value.properties()) {
        JsonNode property = schema.path("properties").get(field.getKey());
        if (property != null) {
          validate(field.getValue(), property, at + "." + field.getKey(), violations);
        } else if (schema.has("additionalProperties") && schema.get("additionalProperties").isObject()) {
          validate(field.getValue(), schema.get("additionalProperties"), at + "." + field.getKey(), violations);
        } else if (schema.has("properties") && schema.path("additionalProperties").asBoolean(true) == false) {
          violations.add(at + " has an undeclared property " + field.getKey());
        }
      }
    }
    if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        validate(value.get(i), schema.path("items"), at + "[" + i + "]", violations);
      }
    }
  }
}
