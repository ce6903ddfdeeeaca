package io.s3index.queryapi.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.s3index.queryapi.access.Principal;
import io.s3index.queryapi.listing.KeyListing;
import io.s3index.queryapi.listing.ObjectRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;

/**
 * HeadObject from the index (size, ETag, Last-Modified, Content-Type, user metadata, storage class,
 * version id, and S3's conditional headers) and GetObject streamed from the origin.
 */
final class S3Objects {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final KeyListing index;
  private final OriginProxy origin;

  S3Objects(KeyListing index, S3ApiConfig.Origin origin) {
    this.index = index;
    this.origin = origin == null ? null : new OriginProxy(origin);
  }

  void head(Context ctx, Principal principal, S3Buckets buckets, String bucket, String key, S3Query q)
      throws IOException {
    require(principal, buckets, bucket, key);
    ObjectRow row = index.object(bucket, key).orElseThrow(() -> S3Error.noSuchKey(bucket, key));
    String versionId = q.get("versionId");
    if (versionId != null && !versionId.equals(row.versionId() == null ? "null" : row.versionId())) {
      // The index holds each key's current version only.
      throw new S3Error(404, "NoSuchVersion", "The specified version does not exist.", bucket, key);
    }
    String etag = row.etag() == null ? null : '"' + row.etag() + '"';
    int condition = conditions(ctx, etag, row.lastModified());
    if (etag != null) {
      ctx.header("ETag", etag);
    }
    ctx.header("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(
        row.lastModified().atZone(ZoneOffset.UTC)));
    if (condition != 200) {
      ctx.status(condition);
      return;
    }
    ctx.header("Accept-Ranges", "bytes");
    if (row.contentType() != null) {
      ctx.header("Content-Type", row.contentType());
    }
    if (row.storageClass() != null && !row.storageClass().equals("STANDARD")) {
      ctx.header("x-amz-storage-class", row.storageClass());
    }
    if (row.versionId() != null) {
      ctx.header("x-amz-version-id", row.versionId());
    }
    if (row.metadataJson() != null) {
      JsonNode metadata = MAPPER.readTree(row.metadataJson());
      for (Map.Entry<String, JsonNode> e : metadata.properties()) {
        ctx.header("x-amz-meta-" + e.getKey(), headerValue(e.getValue().asText()));
      }
    }
    ctx.res().setContentLengthLong(row.size());
    ctx.status(200);
  }

  void get(Context ctx, Principal principal, S3Buckets buckets, String bucket, String key, S3Query q)
      throws IOException, InterruptedException {
    if (origin == null) {
      throw new S3Error(501, "NotImplemented", "GetObject needs an origin (S3INDEX_S3API_ORIGIN); "
          + "this endpoint serves listings and HeadObject from the index.", bucket, key);
    }
    require(principal, buckets, bucket, key);
    origin.get(ctx, bucket, key, q.forOrigin());
  }

  private static void require(Principal principal, S3Buckets buckets, String bucket, String key) {
    if (!principal.mayRead(bucket, key)) {
      throw S3Error.accessDenied("Access Denied");
    }
    if (!buckets.exists(bucket)) {
      throw S3Error.noSuchBucket(bucket);
    }
  }

  /**
   * S3's conditional request rules: 412 when If-Match fails (or, without If-Match, when the
   * object changed after If-Unmodified-Since); 304 when If-None-Match matches (or, without it,
   * when the object did not change after If-Modified-Since); else 200.
   */
  private static int conditions(Context ctx, String etag, Instant lastModified) {
    Instant modified = lastModified.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    String ifMatch = ctx.header("If-Match");
    String ifNoneMatch = ctx.header("If-None-Match");
    Instant ifUnmodifiedSince = httpDate(ctx.header("If-Unmodified-Since"));
    Instant ifModifiedSince = httpDate(ctx.header("If-Modified-Since"));
    if (ifMatch != null ? !matches(ifMatch, etag)
        : ifUnmodifiedSince != null && modified.isAfter(ifUnmodifiedSince)) {
      return 412;
    }
    if (ifNoneMatch != null ? matches(ifNoneMatch, etag)
        : ifModifiedSince != null && !modified.isAfter(ifModifiedSince)) {
      return 304;
    }
    return 200;
  }

  private static boolean matches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String c = candidate.strip();
      if (c.equals("*") || (etag != null && (c.equals(etag) || ('"' + c + '"').equals(etag)))) {
        return true;
      }
    }
    return false;
  }

  private static Instant httpDate(String value) {
    if (value == null) {
      return null;
    }
    try {
      return ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      // S3 ignores a date it cannot read.
      return null;
    }
  }

  /** A metadata value as a header: printable ASCII as it is, anything else RFC 2047-encoded as S3 does. */
  static String headerValue(String value) {
    boolean ascii = value.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    return ascii ? value : "=?UTF-8?B?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=";
  }
}
