package io.s3index.queryapi;

import io.javalin.Javalin;
import io.s3index.queryapi.access.RateLimiter;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.queryapi.s3.S3Endpoint;
import io.s3index.shared.cursor.CursorCodec;
import java.time.Duration;
import io.s3index.testing.TestServers;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A database of its own on the shared embedded PostgreSQL, rows written straight into the index,
 * and API instances on port 0 over it. One per test class.
 */
public final class IndexFixture implements AutoCloseable {

  /** An object row to put in the index. */
  public record Row(String bucket, String key, long size, Instant lastModified, String contentType) {}

  private final DatabaseConfig config;
  private final Database database;
  private final List<Javalin> apps = new ArrayList<>();
  private final AtomicLong sequence = new AtomicLong(1);

  private IndexFixture(DatabaseConfig config) {
    this.config = config;
    this.database = new Database(config, "fixture");
    database.migrate();
  }

  public static IndexFixture create(String databaseName) {
    return new IndexFixture(TestServers.postgres().createDatabase(databaseName));
  }

  /** A fixture over a database of a server of the test's own (migrated here). */
  public static IndexFixture on(DatabaseConfig config) {
    return new IndexFixture(config);
  }

  public Database database() {
    return database;
  }

  public DatabaseConfig config() {
    return config;
  }

  /** Inserts or replaces live rows. */
  public void put(List<Row> rows) {
    database.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, sequencer,
                                 deleted, event_time)
            SELECT b, k, s, 'etag', c, t, q, false, t
            FROM unnest(:b::text[], :k::text[], :s::bigint[], :c::text[], :t::timestamptz[],
                        :q::text[]) AS x (b, k, s, c, t, q)
            ON CONFLICT (bucket, key) DO UPDATE
            SET size = EXCLUDED.size, content_type = EXCLUDED.content_type,
                last_modified = EXCLUDED.last_modified, sequencer = EXCLUDED.sequencer,
                deleted = false, event_time = EXCLUDED.event_time""")
        .bindArray("b", String.class, rows.stream().map(Row::bucket).toList())
        .bindArray("k", String.class, rows.stream().map(Row::key).toList())
        .bindArray("s", Long.class, rows.stream().map(Row::size).toList())
        .bindArray("c", String.class, rows.stream().map(Row::contentType).toList())
        .bindArray("t", String.class, rows.stream().map(r -> r.lastModified().toString()).toList())
        .bindArray("q", String.class, rows.stream()
            .map(r -> String.format("%016X", sequence.getAndIncrement())).toList())
        .execute());
    database.jdbi().useHandle(h -> h.createUpdate(
            "INSERT INTO buckets (name) SELECT DISTINCT unnest(:b::text[]) ON CONFLICT DO NOTHING")
        .bindArray("b", String.class, rows.stream().map(Row::bucket).toList())
        .execute());
  }

  /** Turns a row into a tombstone. */
  public void delete(String bucket, String key) {
    database.jdbi().useHandle(h -> h.createUpdate(
            "UPDATE objects SET deleted = true WHERE bucket = :b AND key = :k")
        .bind("b", bucket).bind("k", key).execute());
  }

  /** Starts an API over this database on a free port. */
  public ApiClient startApi(ApiConfig config, Clock clock) {
    Javalin app = ApiApp.create(config, database, clock).start("127.0.0.1", 0);
    apps.add(app);
    return new ApiClient(app.port());
  }

  /** Starts an S3 endpoint over this database on a free port; answers its port. */
  public int startS3(S3ApiConfig s3, Clock clock) {
    Javalin app = S3Endpoint.create(s3, database, new CursorCodec(SECRET, Duration.ofHours(1), clock),
        new RateLimiter(0, 1, System::nanoTime), Duration.ofSeconds(5), clock).start("127.0.0.1", 0);
    apps.add(app);
    return app.port();
  }

  private static final byte[] SECRET = "s3-endpoint-test-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  public ApiClient startApi() {
    return startApi(ApiConfig.of("127.0.0.1", 0, config), Clock.systemUTC());
  }

  @Override
  public void close() {
    apps.forEach(Javalin::stop);
    database.close();
  }
}
