package io.s3index.bench;

import io.javalin.Javalin;
import io.s3index.queryapi.ApiApp;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.s3.S3ApiConfig;
import io.s3index.queryapi.access.AccessPolicy;
import io.s3index.queryapi.listing.BenchCursors;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

/**
 * A big bucket loaded straight into the index (one INSERT ... SELECT from generate_series, the
 * fastest load there is), and an API over it whose cursor secret the benchmarks know, so they
 * can start a walk at any depth.
 */
final class Catalog implements AutoCloseable {

  static final String BUCKET = "deep";
  private static final byte[] SECRET = "benchmark-cursor-secret-0123456789".getBytes(StandardCharsets.UTF_8);

  final long objects;
  final Database database;
  final Javalin api;
  final BenchCursors cursors;

  Catalog(BenchEnvironment env, long objects, PrintWriter out) {
    this.objects = objects;
    DatabaseConfig db = env.postgres.createDatabase("bench_catalog");
    db = new DatabaseConfig(db.jdbcUrl(), db.user(), db.password(), 16);
    database = new Database(db, "bench-catalog");
    database.migrate();
    long started = System.nanoTime();
    long count = database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM objects WHERE bucket = :b")
        .bind("b", BUCKET).mapTo(Long.class).one());
    long tagged = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT count(*) FROM object_attrs WHERE bucket = :b AND name = 'm:project'")
        .bind("b", BUCKET).mapTo(Long.class).one());
    if (count != objects || tagged != objects / 1000) {
      out.printf(Locale.ROOT, "Loading %,d objects into the index ...%n", objects);
      out.flush();
      database.jdbi().useHandle(h -> {
        // Loaded as ops rebuild loads: the derived tables (folder sizes, metadata entries) in one
        // pass afterwards rather than by the triggers of one 10 M-row statement.
        for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
          h.execute("ALTER TABLE objects DISABLE TRIGGER " + trigger);
        }
        h.execute("DELETE FROM objects WHERE bucket = ?", BUCKET);
        h.execute("DELETE FROM object_attrs WHERE bucket = ?", BUCKET);
        h.execute("""
            INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, storage_class,
                                 sequencer, event_time, metadata)
            SELECT 'deep',
                   'data/' || lpad((g % 1000)::text, 4, '0') || '/object-' || lpad(g::text, 10, '0'),
                   (g * 7919) % 100000000, md5(g::text), 'application/octet-stream',
                   timestamptz '2024-01-01 00:00:00+00' + ((g * 104729) % :n) * interval '1 second',
                   'STANDARD', lpad(to_hex(g), 16, '0'),
                   timestamptz '2024-01-01 00:00:00+00',
                   -- user metadata on 10% of the objects (tier=hot), and on 0.1% (project=rare),
                   -- spread over the whole key range: the search benchmark's two selectivities
                   CASE WHEN g % 1000 = 7 THEN '{"tier": "hot", "project": "rare"}'::jsonb
                        WHEN g % 10 = 7 THEN '{"tier": "hot"}'::jsonb END
            FROM generate_series(1::bigint, :n) g""".replace(":n", Long.toString(objects)));
        h.execute("SET work_mem = '256MB'");
        h.execute("SELECT s3index_folder_stats_repair(?)", BUCKET);
        h.execute("""
            INSERT INTO object_attrs (bucket, name, value, key)
            SELECT o.bucket, e.name, e.value, o.key
            FROM objects o, s3index_attrs(o.metadata, o.tags) e
            WHERE o.bucket = ? AND NOT o.deleted AND o.metadata IS NOT NULL""", BUCKET);
        for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
          h.execute("ALTER TABLE objects ENABLE TRIGGER " + trigger);
        }
        h.execute("VACUUM ANALYZE objects");
        h.execute("VACUUM ANALYZE object_attrs");
        h.execute("VACUUM ANALYZE folder_stats");
      });
      out.printf(Locale.ROOT, "  loaded in %.0f s%n", (System.nanoTime() - started) / 1e9);
    }
    ApiConfig config = new ApiConfig("127.0.0.1", 0, SECRET, Duration.ZERO, false, AccessPolicy.open(), 0, 1, db,
        ApiConfig.DEFAULT_STATEMENT_TIMEOUT, ApiConfig.DEFAULT_COUNT_TIMEOUT, S3ApiConfig.off(),
        java.util.List.of(), ApiConfig.DEFAULT_READ_MAX_LAG);
    api = ApiApp.create(config, database, Clock.systemUTC()).start("127.0.0.1", 0);
    cursors = new BenchCursors(new CursorCodec(SECRET, Duration.ZERO, Clock.systemUTC()));
  }

  String url(String pathAndQuery) {
    return "http://127.0.0.1:" + api.port() + pathAndQuery;
  }

  @Override
  public void close() {
    api.stop();
    database.close();
  }
}
