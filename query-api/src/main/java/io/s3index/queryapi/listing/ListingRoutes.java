package io.s3index.queryapi.listing;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.s3index.queryapi.QueryString;
import io.s3index.queryapi.access.Access;
import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.shared.cursor.CursorCodec;
import java.io.IOException;
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
  private final Listing listing;

  public ListingRoutes(Jdbi jdbi, CursorCodec cursors, java.time.Duration countTimeout) {
    this.jdbi = jdbi;
    this.cursors = cursors;
    this.listing = new Listing(jdbi, cursors, countTimeout);
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
    Listing.Page page = listing.withTotal(request, listing.page(request));

    JsonOut json = new JsonOut(512 + page.rows().size() * 320);
    json.beginObject().name("data").beginArray();
    for (ObjectRow row : page.rows()) {
      row.write(json);
    }
    json.endArray();
    if (page.commonPrefixes() != null) {
      json.name("common_prefixes").beginArray();
      for (String prefix : page.commonPrefixes()) {
        json.string(prefix);
      }
      json.endArray();
    }
    json.name("pagination").beginObject()
        .name("page_size").number(request.pageSize())
        .name("has_next").bool(page.hasNext())
        .name("has_previous").bool(page.hasPrevious())
        .name("next_cursor").string(page.nextCursor())
        .name("previous_cursor").string(page.previousCursor())
        .name("sort_by").string(request.sortBy().parameterValue())
        .name("sort_order").string(request.descending() ? "desc" : "asc");
    if (page.totalCount() != null) {
      json.name("total_count").number(page.totalCount());
      if (page.totalIsEstimate()) {
        json.name("total_is_estimate").bool(true);
      }
    }
    json.endObject().endObject();
    send(ctx, json);
  }

  /**
   * Writes the document into the response stream (compressed there when the client asks), with
   * no intermediate copy. Headers are all set by now: after-handlers may run once the body is
   * committed. Uncompressed, its length is known, so it goes out in one write with a
   * Content-Length instead of as chunks plus a final empty chunk.
   */
  private static void send(Context ctx, JsonOut json) throws IOException {
    ctx.contentType("application/json");
    if (ctx.header("Accept-Encoding") == null) {
      // Nothing compresses an answer to a client that accepts no encoding.
      ctx.res().setContentLength(json.size());
    }
    json.writeTo(ctx.outputStream());
  }

  private void one(Context ctx) throws IOException {
    String bucket = bucket(ctx);
    String key = rawKey(ctx);
    QueryString.requireNone(ctx.queryString());
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
    JsonOut json = new JsonOut(512);
    row.orElseThrow(() -> ApiProblem.notFound("No object '" + key + "' in bucket '" + bucket + "'"))
        .write(json);
    send(ctx, json);
  }

  /**
   * The key exactly as the request path carries it after {@code /objects/}: taken from the raw
   * request URI and decoded once, so a trailing '/', '//', './' and '../' are the key's own, never
   * normalized away. Clients may send the key's slashes as they are or as {@code %2F}.
   */
  private static String rawKey(Context ctx) {
    String uri = ctx.req().getRequestURI();
    int objects = uri.indexOf("/objects/", "/v1/buckets/".length());
    if (objects < 0) {
      throw ApiProblem.validation(Map.of("key", "is missing"));
    }
    return QueryString.decodePath(uri.substring(objects + "/objects/".length()), "key");
  }

  private static String bucket(Context ctx) {
    String bucket = ctx.pathParam("bucket");
    if (bucket.isEmpty() || bucket.length() > 255 || bucket.chars().anyMatch(c -> c < 0x20)) {
      throw ApiProblem.validation(Map.of("bucket", "is not a bucket name"));
    }
    return bucket;
  }
}
