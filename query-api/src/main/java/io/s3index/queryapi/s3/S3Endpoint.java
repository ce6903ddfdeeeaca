package io.s3index.queryapi.s3;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.s3index.queryapi.access.Principal;
import io.s3index.queryapi.access.RateLimiter;
import io.s3index.queryapi.listing.KeyListing;
import io.s3index.queryapi.QueryString;
import io.s3index.queryapi.problem.Problems;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.db.Database;
import io.s3index.shared.events.ObjectKeys;
import io.s3index.shared.failure.Failures;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.UriCompliance;
import io.s3index.queryapi.reads.Reads;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3-compatible endpoint: a second HTTP app of the query API, on its own port, speaking the
 * S3 REST API (path style, and virtual-hosted style under a configured domain) from the index.
 * It serves ListObjectsV2, ListObjects, HeadObject, ListBuckets, HeadBucket and
 * GetBucketLocation, and GetObject streamed from an origin when one is configured; everything
 * else is S3's NotImplemented or MethodNotAllowed. Errors are S3's {@code <Error>} documents.
 */
public final class S3Endpoint {

  private static final Logger log = LoggerFactory.getLogger(S3Endpoint.class);
  static final String REQUEST_ID = "x-amz-request-id";

  private final S3ApiConfig config;
  private final S3Auth auth;
  private final RateLimiter limiter;
  private final S3Buckets buckets;
  private final S3Listings listings;
  private final S3Objects objects;

  private S3Endpoint(S3ApiConfig config, Jdbi jdbi, Reads reads, CursorCodec cursors, RateLimiter limiter,
      Clock clock) {
    this.config = config;
    this.auth = new S3Auth(config, clock);
    this.limiter = limiter;
    this.buckets = new S3Buckets(jdbi, config, clock);
    KeyListing index = new KeyListing(reads, cursors);
    this.listings = new S3Listings(index);
    this.objects = new S3Objects(index, config.origin());
  }

  /**
   * Builds the app (not started).
   *
   * @param cursors the codec of the JSON API's listing cursors: continuation tokens are its cursors
   * @param statementTimeout longest a query may run before it is cancelled (503 SlowDown)
   */
  public static Javalin create(S3ApiConfig config, Database database, CursorCodec cursors,
      RateLimiter limiter, Duration statementTimeout, Clock clock) {
    return create(config, database, cursors, limiter, statementTimeout, clock, null);
  }

  /**
   * @param reads where listings and objects are read (the JSON API's, replicas included), or null
   *     for the primary alone
   */
  public static Javalin create(S3ApiConfig config, Database database, CursorCodec cursors,
      RateLimiter limiter, Duration statementTimeout, Clock clock, Reads reads) {
    Jdbi jdbi = Jdbi.create(database.dataSource());
    jdbi.getConfig(SqlStatements.class).setQueryTimeout(
        (int) Math.max(1, (statementTimeout.toMillis() + 999) / 1000));
    S3Endpoint endpoint = new S3Endpoint(config, jdbi, reads != null ? reads : Reads.primaryOnly(jdbi), cursors,
        limiter, clock);
    return Javalin.create(javalin -> {
      javalin.startup.showJavalinBanner = false;
      javalin.router.ignoreTrailingSlashes = false;
      javalin.jetty.modifyHttpConfiguration(http -> {
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setSendServerVersion(false);
      });
      javalin.jetty.modifyServer(server -> server.setErrorHandler(new S3ErrorHandler()));
      for (HandlerType method : List.of(HandlerType.GET, HandlerType.HEAD, HandlerType.PUT,
          HandlerType.POST, HandlerType.DELETE, HandlerType.PATCH, HandlerType.OPTIONS)) {
        javalin.routes.addHttpHandler(method, "/", endpoint::handle);
        javalin.routes.addHttpHandler(method, "/<path>", endpoint::handle);
      }
    });
  }

  /** What a request names, from its Host and path. */
  record Target(String bucket, String key) {}

  private void handle(Context ctx) throws Exception {
    String requestId = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE)
        .toUpperCase(Locale.ROOT);
    ctx.header(REQUEST_ID, requestId);
    boolean head = ctx.method() == HandlerType.HEAD;
    Target target = null;
    try {
      String rawPath = ctx.req().getRequestURI();
      String path;
      try {
        path = ObjectKeys.percentDecode(rawPath, false);
      } catch (IllegalArgumentException e) {
        throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI.");
      }
      target = target(ctx.host(), path);
      S3Query q = new S3Query(query(ctx.queryString()));
      Operation operation = operation(ctx.method(), target, q);
      S3Auth.Caller caller = auth.authenticate(new S3Auth.Signed(ctx.method().name(), path, q,
          name -> Collections.list(ctx.req().getHeaders(name))), ctx.ip());
      long wait = limiter.acquire(caller.id());
      if (wait > 0) {
        ctx.header("Retry-After", Long.toString(wait));
        throw S3Error.slowDown();
      }
      dispatch(ctx, operation, caller.principal(), target, q);
    } catch (S3Error e) {
      error(ctx, e, target, requestId, head);
    } catch (RuntimeException e) {
      if (Failures.isStatementTimeout(e) || Problems.isDatabaseUnavailable(e)) {
        log.warn("S3 endpoint: the database is slow or unreachable ({})", Failures.describe(e));
        ctx.header("Retry-After", "1");
        error(ctx, S3Error.slowDown(), target, requestId, head);
      } else {
        log.error("S3 endpoint: request {} failed", requestId, e);
        error(ctx, S3Error.internal(), target, requestId, head);
      }
    }
  }

  /** The operations served here. */
  enum Operation { LIST_BUCKETS, HEAD_BUCKET, GET_BUCKET_LOCATION, LIST_OBJECTS, HEAD_OBJECT, GET_OBJECT }

  /**
   * The operation a request asks for, decided before any check of the caller (nothing about the
   * index is told, and a write's body need not be read).
   *
   * @throws S3Error NotImplemented or MethodNotAllowed for any other operation
   */
  static Operation operation(HandlerType method, Target target, S3Query q) {
    boolean get = method == HandlerType.GET;
    boolean head = method == HandlerType.HEAD;
    if (target.bucket() == null) {
      if (get && q.isEmpty()) {
        return Operation.LIST_BUCKETS;
      }
      throw get || (head && !q.isEmpty()) ? S3Error.notImplemented() : S3Error.methodNotAllowed();
    }
    if (target.key() == null) {
      if (!(get || head) || (q.hasSubresource() && !q.has("location"))) {
        throw S3Error.notImplemented();
      }
      return head ? Operation.HEAD_BUCKET : q.has("location") ? Operation.GET_BUCKET_LOCATION : Operation.LIST_OBJECTS;
    }
    if (!(get || head) || q.hasSubresource()) {
      throw S3Error.notImplemented();
    }
    return head ? Operation.HEAD_OBJECT : Operation.GET_OBJECT;
  }

  private void dispatch(Context ctx, Operation operation, Principal principal, Target target, S3Query q)
      throws Exception {
    String bucket = target.bucket();
    switch (operation) {
      case LIST_BUCKETS -> buckets.list(ctx, principal);
      case HEAD_BUCKET -> buckets.head(ctx, principal, bucket);
      case GET_BUCKET_LOCATION -> buckets.location(ctx, principal, bucket);
      case LIST_OBJECTS -> {
        buckets.requireReadable(principal, bucket);
        String listType = q.get("list-type");
        if (listType == null) {
          listings.listV1(ctx, principal, bucket, q);
        } else if (listType.equals("2")) {
          listings.listV2(ctx, principal, bucket, q);
        } else {
          throw S3Error.invalidArgument("Invalid List Type specified in Request");
        }
      }
      case HEAD_OBJECT -> objects.head(ctx, principal, buckets, bucket, target.key(), q);
      case GET_OBJECT -> objects.get(ctx, principal, buckets, bucket, target.key(), q);
      default -> throw new IllegalStateException("unknown operation " + operation);
    }
  }

  /**
   * The bucket and key a request names: the bucket from the Host when it is {@code
   * <bucket>.<domain>} (virtual-hosted style), else from the path's first segment.
   */
  Target target(String host, String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    String bucket = null;
    if (config.domain() != null && host != null) {
      String h = host.toLowerCase(Locale.ROOT);
      int colon = h.lastIndexOf(':');
      if (colon > 0 && h.indexOf(']') < colon) {
        h = h.substring(0, colon);
      }
      if (h.endsWith("." + config.domain())) {
        bucket = h.substring(0, h.length() - config.domain().length() - 1);
      }
    }
    if (bucket != null) {
      return new Target(bucket, p.isEmpty() ? null : p);
    }
    if (p.isEmpty()) {
      return new Target(null, null);
    }
    int slash = p.indexOf('/');
    if (slash < 0) {
      return new Target(p, null);
    }
    String key = p.substring(slash + 1);
    return new Target(p.substring(0, slash), key.isEmpty() ? null : key);
  }

  /** The query's parameters in order, decoded ({@code +} is a space, {@code %XX} UTF-8 bytes). */
  private static List<Map.Entry<String, String>> query(String raw) {
    try {
      return QueryString.pairs(raw);
    } catch (IllegalArgumentException e) {
      throw new S3Error(400, "InvalidArgument", "The query string is not valid URL encoding.");
    }
  }

  private static void error(Context ctx, S3Error e, Target target, String requestId, boolean head) {
    ctx.status(e.status());
    if (head) {
      // A HEAD answer has no body: the status says it all, as S3's does.
      ctx.result("");
      return;
    }
    S3Xml xml = new S3Xml(256).root("Error", false)
        .element("Code", e.code())
        .element("Message", e.getMessage());
    String bucket = e.bucket() != null ? e.bucket() : target == null ? null : target.bucket();
    if (e.bucket() != null) {
      xml.element("BucketName", e.bucket());
    }
    if (e.key() != null) {
      xml.element("Key", e.key());
    }
    xml.element("Resource", bucket == null ? "/" : "/" + bucket
            + (target != null && target.key() != null ? "/" + target.key() : ""))
        .element("RequestId", requestId)
        .close("Error");
    ctx.contentType("application/xml").result(xml.bytes());
  }
}
