package io.s3index.queryapi.listing;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.s3index.queryapi.QueryString;
import io.s3index.queryapi.access.Access;
import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.shared.cursor.CursorCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code GET /v1/buckets/{bucket}/objects} (a page of live objects) and {@code GET
 * /v1/buckets/{bucket}/objects/{key}} (one object; the key may contain {@code /}).
 */
public final class ListingRoutes {

  private final Jdbi jdbi;
  private final CursorCodec cursors;
  private final ObjectMapper mapper;
  private final Listing listing;

  public ListingRoutes(Jdbi jdbi, CursorCodec cursors, ObjectMapper mapper) {
    this.jdbi = jdbi;
    this.cursors = cursors;
    this.mapper = mapper;
    this.listing = new Listing(jdbi, cursors);
  }

  public void install(JavalinConfig config) {
    config.routes.get("/v1/buckets/{bucket}/objects", this::list);
    config.routes.get("/v1/buckets/{bucket}/objects/<key>", this::one);
  }

  private void list(Context ctx) throws IOException {
    String bucket = bucket(ctx);
    Access.requireBucket(ctx, bucket);
    ListingRequest request = ListingRequest.parse(bucket, QueryString.parse(ctx.queryString()), cursors);
    Access.requireRead(ctx, bucket, request.prefix());
    Listing.Page page = listing.page(request);

    // Streamed straight to bytes: no tree of nodes, stored metadata JSON written as it is.
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(256 + page.rows().size() * 300);
    try (JsonGenerator json = mapper.getFactory().createGenerator(buffer)) {
      json.writeStartObject();
      json.writeArrayFieldStart("data");
      for (ObjectRow row : page.rows()) {
        write(json, row);
      }
      json.writeEndArray();
      if (page.commonPrefixes() != null) {
        json.writeArrayFieldStart("common_prefixes");
        for (String prefix : page.commonPrefixes()) {
          json.writeString(prefix);
        }
        json.writeEndArray();
      }
      json.writeObjectFieldStart("pagination");
      json.writeNumberField("page_size", request.pageSize());
      json.writeBooleanField("has_next", page.hasNext());
      json.writeBooleanField("has_previous", page.hasPrevious());
      json.writeStringField("next_cursor", page.nextCursor());
      json.writeStringField("previous_cursor", page.previousCursor());
      json.writeStringField("sort_by", request.sortBy().parameterValue());
      json.writeStringField("sort_order", request.descending() ? "desc" : "asc");
      if (page.totalCount() != null) {
        json.writeNumberField("total_count", page.totalCount());
      }
      json.writeEndObject();
      json.writeEndObject();
    }
    ctx.contentType("application/json").result(buffer.toByteArray());
  }

  private static void write(JsonGenerator json, ObjectRow row) throws IOException {
    json.writeStartObject();
    json.writeStringField("key", row.key());
    json.writeNumberField("size", row.size());
    json.writeStringField("etag", row.etag());
    json.writeStringField("content_type", row.contentType());
    json.writeStringField("last_modified", IsoInstant.format(row.lastModified()));
    json.writeStringField("storage_class", row.storageClass());
    json.writeStringField("version_id", row.versionId());
    json.writeFieldName("metadata");
    if (row.metadataJson() == null) {
      json.writeNull();
    } else {
      json.writeRawValue(row.metadataJson());
    }
    json.writeEndObject();
  }

  private void one(Context ctx) throws JsonProcessingException {
    String bucket = bucket(ctx);
    String key = ctx.pathParam("key");
    Map<String, List<String>> query = QueryString.parse(ctx.queryString());
    if (!query.isEmpty()) {
      Map<String, String> errors = new java.util.TreeMap<>();
      query.keySet().forEach(name -> errors.put(name, "unknown parameter; this endpoint takes none"));
      throw ApiProblem.validation(errors);
    }
    String problem = ListingRequest.keyProblem(key);
    if (problem != null) {
      throw ApiProblem.validation(Map.of("key", problem));
    }
    Access.requireRead(ctx, bucket, key);
    Optional<ObjectRow> row = jdbi.withHandle(handle -> handle.createQuery("""
            SELECT key, size, etag, content_type, last_modified, storage_class, version_id,
                   metadata::text AS metadata
            FROM objects
            WHERE bucket = :bucket AND key = :key AND NOT deleted""")
        .bind("bucket", bucket)
        .bind("key", key)
        .map((rs, c) -> ObjectRow.from(rs))
        .findOne());
    json(ctx, view(row.orElseThrow(() ->
        ApiProblem.notFound("No object '" + key + "' in bucket '" + bucket + "'"))));
  }

  private static String bucket(Context ctx) {
    String bucket = ctx.pathParam("bucket");
    if (bucket.isEmpty() || bucket.length() > 255 || bucket.chars().anyMatch(c -> c < 0x20)) {
      throw ApiProblem.validation(Map.of("bucket", "is not a bucket name"));
    }
    return bucket;
  }

  private ObjectNode view(ObjectRow row) throws JsonProcessingException {
    ObjectNode node = mapper.createObjectNode();
    node.put("key", row.key());
    node.put("size", row.size());
    node.put("etag", row.etag());
    node.put("content_type", row.contentType());
    node.put("last_modified", IsoInstant.format(row.lastModified()));
    node.put("storage_class", row.storageClass());
    node.put("version_id", row.versionId());
    node.set("metadata", row.metadataJson() == null ? null : mapper.readTree(row.metadataJson()));
    return node;
  }

  private void json(Context ctx, Object body) throws JsonProcessingException {
    ctx.contentType("application/json").result(mapper.writeValueAsBytes(body));
  }
}
