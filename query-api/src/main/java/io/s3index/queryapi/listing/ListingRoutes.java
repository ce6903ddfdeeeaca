package io.s3index.queryapi.listing;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.s3index.queryapi.QueryString;
import io.s3index.queryapi.access.Access;
import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.events.ETags;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Optional;
import io.s3index.queryapi.reads.Reads;

/**
 * {@code GET /v1/buckets/{bucket}/objects} (a page of live objects) and {@code GET
 * /v1/buckets/{bucket}/objects/{key}} (one object; the key may contain {@code /}).
 */
public final class ListingRoutes {

  private final Reads reads;
  private final Rechecks rechecks;
  private final CursorCodec cursors;
  private final Listing listing;
  private final ChangeFeed feed;

  /** @param feedCursors the change feed's codec, for the changes_cursor of a walk's first page */
  public ListingRoutes(Reads reads, CursorCodec cursors, CursorCodec feedCursors, java.time.Duration countTimeout,
      Rechecks rechecks) {
    this.reads = reads;
    this.cursors = cursors;
    this.listing = new Listing(reads, cursors, countTimeout);
    this.feed = new ChangeFeed(reads, feedCursors);
    this.rechecks = rechecks;
  }

  public void install(JavalinConfig config) {
    config.routes.get("/v1/buckets/{bucket}/objects", this::list);
    config.routes.get("/v1/buckets/{bucket}/objects/<key>", this::one);
    config.routes.get("/v1/buckets/{bucket}/stats", this::stats);
  }

  /**
   * {@code GET /v1/buckets/{bucket}/stats?prefix=P}: the kept sizes of one folder (P empty or
   * ending in '/'; the whole bucket without it), exact, one index read.
   */
  private void stats(Context ctx) throws IOException {
    String bucket = bucket(ctx);
    Access.requireBucket(ctx, bucket);
    Map<String, List<String>> query = QueryString.parse(ctx.queryString());
    Map<String, String> errors = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (!e.getKey().equals("prefix")) {
        errors.put(e.getKey(), "unknown parameter; accepted: prefix");
      } else if (e.getValue().size() > 1) {
        errors.put(e.getKey(), "given more than once");
      }
    }
    String prefix = QueryString.single(query, "prefix");
    prefix = prefix == null ? "" : prefix;
    String problem = ListingRequest.keyProblem(prefix);
    if (problem != null) {
      errors.put("prefix", problem);
    } else if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      errors.put("prefix", "must end in / (sizes are kept for folders) or be empty (the whole bucket)");
    }
    if (!errors.isEmpty()) {
      throw ApiProblem.validation(errors);
    }
    Access.requireRead(ctx, bucket, prefix.isEmpty() ? null : prefix);
    String folder = prefix;
    FolderStats.Sizes sizes = reads.any(h -> FolderStats.of(h, bucket, List.of(folder))).get(0);
    JsonOut json = new JsonOut(256);
    sizes.write(json);
    send(ctx, json);
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
    if (page.folders() != null) {
      json.name("folders").beginArray();
      for (FolderStats.Sizes folder : page.folders()) {
        folder.write(json);
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
    if (request.cursor() == null && page.snapshot() != null) {
      // A walk's first page: following the feed from here after the walk misses nothing.
      json.name("changes_cursor").string(
          feed.encode(bucket, request.prefix(), ChangeFeed.Position.at(page.snapshot())));
    }
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
  static void send(Context ctx, JsonOut json) throws IOException {
    ctx.contentType("application/json");
    if (ctx.header("Accept-Encoding") == null) {
      // Nothing compresses an answer to a client that accepts no encoding.
      ctx.res().setContentLength(json.size());
    }
    json.writeTo(ctx.outputStream());
  }

  /**
   * One object. With {@code etag} or {@code version_id}, only that version of it; with {@code
   * wait} (seconds), read-your-writes for uploaders: the answer comes as soon as the index holds it
   * (checked often at first, then up to every {@value Rechecks#EVERY_MILLIS} ms while the database
   * commits anything, no thread or connection held: {@link Rechecks}), or
   * 404 when the wait ends.
   */
  private void one(Context ctx) throws IOException {
    String bucket = bucket(ctx);
    String key = rawKey(ctx);
    Map<String, List<String>> query = QueryString.parse(ctx.queryString());
    Map<String, String> errors = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (!Set.of("etag", "version_id", "wait").contains(e.getKey())) {
        errors.put(e.getKey(), "unknown parameter; accepted: etag, version_id, wait");
      } else if (e.getValue().size() > 1) {
        errors.put(e.getKey(), "given more than once");
      }
    }
    String etag = ETags.normalize(QueryString.single(query, "etag"));
    String versionId = QueryString.single(query, "version_id");
    int wait = QueryString.wholeNumber(query, "wait", 0, 0, ChangesRoutes.MAX_WAIT_SECONDS, errors);
    String problem = ListingRequest.keyProblem(key);
    if (problem != null) {
      errors.put("key", problem);
    }
    if (!errors.isEmpty()) {
      throw ApiProblem.validation(errors);
    }
    Access.requireRead(ctx, bucket, key);
    Optional<ObjectRow> row = find(bucket, key, etag, versionId);
    if (row.isPresent() || wait == 0) {
      answer(ctx, bucket, key, row);
      return;
    }
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(wait).toNanos();
    // Read-your-writes through replicas: a check that a replica cannot satisfy yet asks the primary.
    CompletableFuture<Optional<ObjectRow>> found = rechecks.until(() -> {
      Optional<ObjectRow> seen = find(bucket, key, etag, versionId);
      return seen.isPresent() ? seen : reads.primary(h -> KeyListing.find(h, bucket, key, etag, versionId));
    }, Optional::isPresent, deadline);
    ctx.future(() -> found.thenAccept(r -> {
      try {
        answer(ctx, bucket, key, r);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }));
  }

  private Optional<ObjectRow> find(String bucket, String key, String etag, String versionId) {
    return reads.any(h -> KeyListing.find(h, bucket, key, etag, versionId));
  }

  private static void answer(Context ctx, String bucket, String key, Optional<ObjectRow> row) throws IOException {
    JsonOut json = new JsonOut(512);
    row.orElseThrow(() -> ApiProblem.notFound("No object '" + key + "' in bucket '" + bucket + "'"
            + " (at the version asked for, if any)"))
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

  static String bucket(Context ctx) {
    String bucket = ctx.pathParam("bucket");
    if (bucket.isEmpty() || bucket.length() > 255 || bucket.chars().anyMatch(c -> c < 0x20)) {
      throw ApiProblem.validation(Map.of("bucket", "is not a bucket name"));
    }
    return bucket;
  }
}
