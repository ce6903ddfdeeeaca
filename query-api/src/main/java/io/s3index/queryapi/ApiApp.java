package io.s3index.queryapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.s3index.queryapi.access.Access;
import io.s3index.queryapi.access.RateLimiter;
import io.s3index.queryapi.listing.BucketRoutes;
import io.s3index.queryapi.listing.ChangesRoutes;
import io.s3index.queryapi.listing.ListingRoutes;
import io.s3index.queryapi.listing.Rechecks;
import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.queryapi.problem.ProblemErrorHandler;
import io.s3index.queryapi.problem.Problems;
import io.s3index.queryapi.reads.Reads;
import io.s3index.queryapi.service.BrowseRoutes;
import io.s3index.queryapi.service.DocsRoutes;
import io.s3index.queryapi.service.HttpMetrics;
import io.s3index.queryapi.service.StatusRoutes;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;
import org.slf4j.MDC;
import org.eclipse.jetty.http.UriCompliance;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/** Builds the HTTP app (not started), so tests can start it on port 0. */
public final class ApiApp {

  private ApiApp() {}

  public static Javalin create(ApiConfig config, Database database, Clock clock) {
    return create(config, database, clock, () -> -1, null);
  }

  /**
   * @param downloadPort the port of an open S3 endpoint that streams objects from an origin, or
   *     -1: the browser's download button (known once that endpoint has started)
   */
  public static Javalin create(ApiConfig config, Database database, Clock clock, IntSupplier downloadPort,
      Reads shared) {
    ObjectMapper mapper = new ObjectMapper();
    CursorCodec cursors = new CursorCodec(config.cursorSecret(), config.cursorTtl(), clock);
    Problems problems = new Problems(mapper);
    Access access = new Access(config.access(),
        new RateLimiter(config.rateLimit(), config.rateBurst(), System::nanoTime));
    // Feed cursors never expire by age (only when their history is purged).
    CursorCodec feedCursors = new CursorCodec(config.cursorSecret(), java.time.Duration.ZERO, clock);
    HttpMetrics metrics = new HttpMetrics();
    // Without shared reads (see reads()), this app reads through its own and closes them with itself.
    Reads reads = shared != null ? shared : reads(config, database);
    reads.bindTo(metrics.registry());
    Rechecks waits = Rechecks.watching(reads);
    ListingRoutes listing = new ListingRoutes(reads, cursors, feedCursors, config.countTimeout(), waits);
    ChangesRoutes changes = new ChangesRoutes(reads, feedCursors, waits);
    BucketRoutes buckets = new BucketRoutes(reads, mapper);
    StatusRoutes status = new StatusRoutes(reads, mapper, clock);
    DocsRoutes docs = new DocsRoutes();
    BrowseRoutes browse = new BrowseRoutes(config.access().isOpen(), downloadPort);
    return Javalin.create(javalin -> {
      javalin.startup.showJavalinBanner = false;
      if (shared == null) {
        javalin.events.serverStopped(reads::close);
      }
      javalin.http.defaultContentType = "application/json";
      // A known path asked with another method is 405 (with Allow), not 404.
      javalin.http.prefer405over404 = true;
      // Object keys may end in '/' and hold '//', './' and '../': routes match the path as sent.
      javalin.router.ignoreTrailingSlashes = false;
      javalin.jetty.modifyHttpConfiguration(http -> http.setUriCompliance(UriCompliance.UNSAFE));
      javalin.jetty.modifyServer(server -> server.setErrorHandler(new ProblemErrorHandler()));
      javalin.routes.before(ApiApp::requestId);
      javalin.routes.before("/v1/*", ctx -> {
        access.authenticate(ctx);
        // Before, not after: a large page is committed to the client while it is written.
        status.addFreshnessHeader(ctx);
      });
      javalin.routes.after(ctx -> MDC.remove("request_id"));
      problems.install(javalin);
      metrics.install(javalin);
      listing.install(javalin);
      changes.install(javalin);
      buckets.install(javalin);
      status.install(javalin);
      docs.install(javalin);
      browse.install(javalin);
      javalin.routes.get("/healthz", ctx -> {
        QueryString.requireNone(ctx.queryString());
        ctx.contentType("application/json").result("{\"status\":\"ok\"}");
      });
      javalin.routes.get("/readyz", ctx -> {
        QueryString.requireNone(ctx.queryString());
        try {
          reads.primary(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
        } catch (RuntimeException e) {
          throw ApiProblem.unavailable();
        }
        ctx.contentType("application/json").result("{\"status\":\"ready\"}");
      });
    });
  }

  /**
   * Where the API reads ({@link Reads}): the primary, and the configured replicas' pools, each
   * with the API's statement settings. Shared by the JSON API and the S3 endpoint of one process;
   * its owner closes it.
   */
  public static Reads reads(ApiConfig config, Database database) {
    // The API's own Jdbi over the shared pool: every statement it runs is cancelled at the
    // statement timeout (a held connection never outlives it), whoever else uses the pool.
    Jdbi primary = statements(Jdbi.create(database.dataSource()).installPlugin(new SqlObjectPlugin()), config);
    if (config.readReplicas().isEmpty()) {
      return Reads.primaryOnly(primary);
    }
    List<Reads.ReplicaPool> pools = new ArrayList<>();
    int n = 0;
    for (DatabaseConfig replica : config.readReplicas()) {
      String name = "replica-" + (++n);
      Database pool = new Database(replica, "query-api-" + name);
      pools.add(new Reads.ReplicaPool(name, pool,
          statements(Jdbi.create(pool.dataSource()).installPlugin(new SqlObjectPlugin()), config)));
    }
    return new Reads(primary, pools, config.readMaxLag());
  }

  private static Jdbi statements(Jdbi jdbi, ApiConfig config) {
    jdbi.getConfig(SqlStatements.class).setQueryTimeout(
        (int) Math.max(1, (config.statementTimeout().toMillis() + 999) / 1000));
    return jdbi;
  }

  private static void requestId(Context ctx) {
    String id = ctx.header("X-Request-Id");
    if (id == null || id.isBlank() || id.length() > 128 || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      // Unique, not secret: a random (version 4) UUID without SecureRandom's shared lock.
      ThreadLocalRandom random = ThreadLocalRandom.current();
      id = new UUID(random.nextLong() & ~0xF000L | 0x4000L,
          random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L).toString();
    }
    MDC.put("request_id", id);
    ctx.header("X-Request-Id", id);
  }
}
