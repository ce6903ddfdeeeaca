package io.s3index.queryapi.s3;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * GetObject streamed from the origin S3 endpoint: the request (path style, with its Range,
 * conditional headers, versionId and response-* overrides) is signed with the origin's
 * credentials and sent; the origin's status, object headers and body are passed back as they
 * come, a buffer at a time, never a whole object in memory. The origin's errors (NoSuchKey, 304,
 * 412, 416 ...) are passed back as it sent them.
 */
final class OriginProxy {

  private static final List<String> FORWARDED_REQUEST_HEADERS = List.of("Range", "If-Match",
      "If-None-Match", "If-Modified-Since", "If-Unmodified-Since");
  private static final Set<String> RETURNED_HEADERS = Set.of("content-length", "content-range",
      "content-type", "etag", "last-modified", "accept-ranges", "cache-control", "content-disposition",
      "content-encoding", "content-language", "expires", "x-amz-version-id", "x-amz-storage-class",
      "x-amz-delete-marker", "x-amz-tagging-count", "x-amz-mp-parts-count");
  private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private final S3ApiConfig.Origin origin;
  private final HttpClient client;

  OriginProxy(S3ApiConfig.Origin origin) {
    this.origin = origin;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  void get(Context ctx, String bucket, String key, List<Map.Entry<String, String>> query)
      throws IOException, InterruptedException {
    String base = origin.endpoint().getRawPath() == null ? "" : origin.endpoint().getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String path = base + "/" + bucket + "/" + key;
    StringBuilder rawQuery = new StringBuilder();
    for (Map.Entry<String, String> e : query) {
      rawQuery.append(rawQuery.length() == 0 ? "?" : "&").append(SigV4.uriEncode(e.getKey(), true))
          .append('=').append(SigV4.uriEncode(e.getValue(), true));
    }
    URI endpoint = origin.endpoint();
    String authority = endpoint.getHost() + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
    URI uri = URI.create(endpoint.getScheme() + "://" + authority + SigV4.uriEncode(path, false) + rawQuery);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
    for (String name : FORWARDED_REQUEST_HEADERS) {
      String value = ctx.header(name);
      if (value != null) {
        request.header(name, value);
      }
    }
    if (origin.accessKey() != null) {
      sign(request, authority, path, query);
    }
    HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      ctx.status(response.statusCode());
      response.headers().map().forEach((name, values) -> {
        String n = name.toLowerCase(Locale.ROOT);
        if (RETURNED_HEADERS.contains(n) || n.startsWith("x-amz-meta-")) {
          for (String v : values) {
            if (n.equals("content-length")) {
              ctx.res().setContentLengthLong(Long.parseLong(v));
            } else {
              ctx.res().addHeader(name, v);
            }
          }
        }
      });
      OutputStream out = ctx.res().getOutputStream();
      body.transferTo(out);
      out.flush();
    }
  }

  private void sign(HttpRequest.Builder request, String authority, String path,
      List<Map.Entry<String, String>> query) {
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    String amzDate = AMZ_DATE.format(now);
    String date = amzDate.substring(0, 8);
    List<Map.Entry<String, List<String>>> headers = new ArrayList<>();
    headers.add(Map.entry("host", List.of(authority)));
    headers.add(Map.entry("x-amz-content-sha256", List.of(SigV4.UNSIGNED_PAYLOAD)));
    headers.add(Map.entry("x-amz-date", List.of(amzDate)));
    String canonical = SigV4.canonicalRequest("GET", path, query, headers, SigV4.UNSIGNED_PAYLOAD);
    String scope = date + "/" + origin.region() + "/s3/aws4_request";
    String signature = SigV4.signature(origin.secretKey(), date, origin.region(), "s3",
        SigV4.stringToSign(amzDate, scope, canonical));
    request.header("x-amz-date", amzDate)
        .header("x-amz-content-sha256", SigV4.UNSIGNED_PAYLOAD)
        .header("Authorization", SigV4.ALGORITHM + " Credential=" + origin.accessKey() + "/" + scope
            + ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + signature);
  }
}
