package io.s3index.queryapi;

import io.javalin.Javalin;
import io.s3index.shared.db.Database;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The query API's composition root: the database pool and the started HTTP app. */
public final class QueryApi implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(QueryApi.class);

  private final Database database;
  private final boolean ownsDatabase;
  private final Javalin app;

  private QueryApi(Database database, boolean ownsDatabase, Javalin app) {
    this.database = database;
    this.ownsDatabase = ownsDatabase;
    this.app = app;
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
    Javalin app = ApiApp.create(config, database, Clock.systemUTC()).start(config.host(), config.port());
    return new QueryApi(database, owns, app);
  }

  /** The port the API listens on (useful when started on port 0). */
  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
    if (ownsDatabase) {
      database.close();
    }
  }
}
