package io.s3index.queryapi;

import io.javalin.Javalin;
import io.s3index.queryapi.access.RateLimiter;
import io.s3index.queryapi.reads.Reads;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.queryapi.s3.S3Endpoint;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.db.Database;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query API's composition root: the database pool and the started HTTP apps, the JSON API and
 * (unless turned off) the S3-compatible endpoint on its own port.
 */
public final class QueryApi implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(QueryApi.class);

  private final Database database;
  private final boolean ownsDatabase;
  private final Javalin app;
  private final Javalin s3App;
  private final Reads reads;

  private QueryApi(Database database, boolean ownsDatabase, Javalin app, Javalin s3App, Reads reads) {
    this.database = database;
    this.ownsDatabase = ownsDatabase;
    this.app = app;
    this.s3App = s3App;
    this.reads = reads;
  }

  /** Starts the API with its own connection pool. */
  public static QueryApi start(ApiConfig config) {
    Database database = new Database(config.database(), "query-api");
    try {
      return start(config, database, true);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /** Starts the API on a pool the caller owns. */
  public static QueryApi start(ApiConfig config, Database database) {
    return start(config, database, false);
  }

  private static QueryApi start(ApiConfig config, Database database, boolean owns) {
    if (config.access().isOpen()) {
      log.warn("*** OPEN MODE: no access tokens; anyone who can reach this port reads every bucket ***");
    } else {
      log.info("{} access token(s) configured; rate limit {} requests/s per token",
          config.access().tokenCount(), config.rateLimit() == 0 ? "off" : config.rateLimit());
    }
    if (config.cursorSecretGenerated()) {
      log.warn("S3INDEX_CURSOR_SECRET is not set: using a random secret; cursors will not "
          + "survive a restart nor work across several API instances");
    }
    // The browser offers downloads through the S3 endpoint when that is open and has an origin.
    AtomicInteger downloadPort = new AtomicInteger(-1);
    Reads reads = ApiApp.reads(config, database);
    Javalin app;
    try {
      app = ApiApp.create(config, database, Clock.systemUTC(), downloadPort::get, reads)
          .start(config.host(), config.port());
    } catch (RuntimeException e) {
      reads.close();
      throw e;
    }
    Javalin s3App = null;
    S3ApiConfig s3 = config.s3Api();
    if (s3.enabled()) {
      try {
        s3App = S3Endpoint.create(s3, database,
                new CursorCodec(config.cursorSecret(), config.cursorTtl(), Clock.systemUTC()),
                new RateLimiter(config.rateLimit(), config.rateBurst(), System::nanoTime),
                config.statementTimeout(), Clock.systemUTC(), reads)
            .start(config.host(), s3.port());
      } catch (RuntimeException e) {
        app.stop();
        reads.close();
        throw e;
      }
      if (s3.open() && s3.origin() != null) {
        downloadPort.set(s3App.port());
      }
      if (s3.open()) {
        log.warn("*** S3 endpoint on port {} in OPEN MODE: any credentials, or none, read every bucket ***",
            s3App.port());
      } else {
        log.info("S3 endpoint on port {}: {} access key(s){}", s3App.port(), s3.keys().size(),
            s3.origin() == null ? "; GetObject off (no S3INDEX_S3API_ORIGIN)" : "; GetObject from " + s3.origin().endpoint());
      }
    } else {
      log.info("S3 endpoint off{}", config.access().isOpen() ? "" : " (no S3INDEX_S3API_KEYS)");
    }
    return new QueryApi(database, owns, app, s3App, reads);
  }

  /** The port the API listens on (useful when started on port 0). */
  public int port() {
    return app.port();
  }

  /** The S3 endpoint's port, or -1 when it is off. */
  public int s3Port() {
    return s3App == null ? -1 : s3App.port();
  }

  @Override
  public void close() {
    if (s3App != null) {
      s3App.stop();
    }
    app.stop();
    reads.close();
    if (ownsDatabase) {
      database.close();
    }
  }
}
