package io.s3index.queryapi.listing;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.s3index.queryapi.QueryString;
import io.s3index.queryapi.access.Access;
import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.shared.cursor.InvalidCursorException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v1/buckets/{bucket}/changes}: the change feed ({@link ChangeFeed}). With {@code
 * wait}, an empty answer is held until a change commits or the wait ends, holding no thread and no
 * database connection between its checks ({@link Rechecks}).
 */
public final class ChangesRoutes {

  static final int MAX_PAGE_SIZE = 1000;
  static final int MAX_WAIT_SECONDS = 60;
  private static final List<String> PARAMETERS = List.of("cursor", "prefix", "page_size", "wait");
  private static final Set<String> KNOWN = Set.copyOf(PARAMETERS);

  private final ChangeFeed feed;
  private final Rechecks rechecks;

  /** @param feedCursors a codec with the listings' secret and no time to live */
  public ChangesRoutes(io.s3index.queryapi.reads.Reads reads, io.s3index.shared.cursor.CursorCodec feedCursors,
      Rechecks rechecks) {
    this.feed = new ChangeFeed(reads, feedCursors);
    this.rechecks = rechecks;
  }

  public void install(JavalinConfig config) {
    config.routes.get("/v1/buckets/{bucket}/changes", this::changes);
  }

  private record Request(String bucket, String prefix, String cursor, int pageSize, int waitSeconds) {}

  private static Request parse(String bucket, Map<String, List<String>> query) {
    Map<String, String> errors = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (!KNOWN.contains(e.getKey())) {
        errors.put(e.getKey(), "unknown parameter; accepted: " + String.join(", ", PARAMETERS));
      } else if (e.getValue().size() > 1) {
        errors.put(e.getKey(), "given more than once");
      }
    }
    String prefix = QueryString.single(query, "prefix");
    if (prefix != null) {
      String problem = ListingRequest.keyProblem(prefix);
      if (problem != null) {
        errors.put("prefix", problem);
      }
    }
    int pageSize = QueryString.wholeNumber(query, "page_size", 100, 1, MAX_PAGE_SIZE, errors);
    int wait = QueryString.wholeNumber(query, "wait", 0, 0, MAX_WAIT_SECONDS, errors);
    String cursor = QueryString.single(query, "cursor");
    if (cursor != null && cursor.isEmpty()) {
      errors.put("cursor", "must not be empty");
    }
    if (!errors.isEmpty()) {
      throw ApiProblem.validation(errors);
    }
    return new Request(bucket, prefix == null || prefix.isEmpty() ? null : prefix, cursor, pageSize, wait);
  }

  private void changes(Context ctx) throws IOException {
    String bucket = ListingRoutes.bucket(ctx);
    Access.requireBucket(ctx, bucket);
    Request r = parse(bucket, QueryString.parse(ctx.queryString()));
    Access.requireRead(ctx, bucket, r.prefix());
    if (r.cursor() == null) {
      send(ctx, r, new ChangeFeed.Page(List.of(), false, feed.head()));
      return;
    }
    ChangeFeed.Position position;
    try {
      position = feed.decode(r.cursor(), bucket, r.prefix());
    } catch (InvalidCursorException e) {
      throw ApiProblem.invalidCursor(e.getMessage());
    }
    ChangeFeed.Page page = read(r, position);
    if (!page.changes().isEmpty() || page.hasMore() || r.waitSeconds() == 0) {
      send(ctx, r, page);
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(r.waitSeconds()).toNanos();
    ChangeFeed.Position after = page.next();
    CompletableFuture<ChangeFeed.Page> answer = rechecks.until(() -> read(r, after),
        p -> !p.changes().isEmpty() || p.hasMore(), deadline);
    ctx.future(() -> answer.thenAccept(p -> {
      try {
        send(ctx, r, p);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }));
  }

  private ChangeFeed.Page read(Request r, ChangeFeed.Position position) {
    try {
      return feed.read(r.bucket(), r.prefix(), position, r.pageSize());
    } catch (ChangeFeed.ExpiredException e) {
      throw ApiProblem.cursorExpired(e.getMessage());
    }
  }

  private void send(Context ctx, Request r, ChangeFeed.Page page) throws IOException {
    JsonOut json = new JsonOut(512 + page.changes().size() * 360);
    json.beginObject().name("data").beginArray();
    for (ChangeFeed.Change c : page.changes()) {
      json.beginObject()
          .name("type").string(c.deleted() ? "delete" : "upsert")
          .name("key").string(c.key())
          .name("sequencer").string(c.sequencer())
          .name("object");
      if (c.row() == null) {
        json.nullValue();
      } else {
        c.row().write(json);
      }
      json.endObject();
    }
    json.endArray();
    json.name("pagination").beginObject()
        .name("page_size").number(r.pageSize())
        .name("has_more").bool(page.hasMore())
        .name("next_cursor").string(feed.encode(r.bucket(), r.prefix(), page.next()))
        .endObject();
    json.endObject();
    ListingRoutes.send(ctx, json);
  }
}
