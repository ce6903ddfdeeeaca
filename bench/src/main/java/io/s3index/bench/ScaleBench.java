package io.s3index.bench;

import io.javalin.Javalin;
import io.s3index.embedded.EmbeddedReplica;
import io.s3index.queryapi.ApiApp;
import io.s3index.queryapi.ApiConfig;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --scale}: many objects over 1,000 buckets of skewed sizes (the largest holds about
 * 18% of them, the smallest 0.025% each), loaded straight into the index, then read side by
 * side through an API on the primary and an API that reads from a streaming replica of it: first
 * and deep pages of the largest, a middle-sized and a small bucket, folder sizes at their roots,
 * and the disk the index takes per million objects. A long run, not part of the default set.
 */
final class ScaleBench {

  static final String SECTION = "scale: 1,000 buckets of skewed sizes, primary and replica side by side";
  static final int BUCKETS = 1000;

  private final BenchEnvironment env;
  private final PrintWriter out;
  private final Http http = new Http();

  ScaleBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  /** Bucket {@code i}'s name; bucket 0 is the largest. */
  static String bucket(int i) {
    return String.format(Locale.ROOT, "bucket-%04d", i);
  }

  void run(Report report, long objects, int repeats) {
    DatabaseConfig db = env.postgres.createDatabase("bench_scale");
    try (Database database = new Database(new DatabaseConfig(db.jdbcUrl(), db.user(), db.password(), 8), "bench-scale")) {
      database.migrate();
      load(database, objects);
      DiskUse.report(report, SECTION, database, objects, "");
      out.println("Starting a streaming replica of the database server (a base backup of it) ...");
      out.flush();
      long copying = System.nanoTime();
      try (EmbeddedReplica replica = env.postgres.startReplica("bench_scale_replica")) {
        report.add(SECTION, "replica made (base backup copied, replay started)", (System.nanoTime() - copying) / 1e9, "s", "");
        ApiConfig primaryOnly = ApiConfig.of("127.0.0.1", 0, database.config());
        ApiConfig withReplica = primaryOnly.withReadReplicas(List.of(replica.config("bench_scale")), Duration.ofSeconds(30));
        Javalin onPrimary = ApiApp.create(primaryOnly, database, Clock.systemUTC()).start("127.0.0.1", 0);
        Javalin onReplica = ApiApp.create(withReplica, database, Clock.systemUTC()).start("127.0.0.1", 0);
        try {
          measure(report, database, onPrimary.port(), onReplica.port(), repeats);
        } finally {
          onPrimary.stop();
          onReplica.stop();
        }
      }
    }
  }

  private void measure(Report report, Database database, int primaryPort, int replicaPort, int repeats) {
    Map<String, Long> sizes = new LinkedHashMap<>();
    database.jdbi().useHandle(h -> {
      for (int i : new int[] {0, BUCKETS / 10, BUCKETS - 1}) {
        sizes.put(bucket(i), h.createQuery("SELECT COALESCE(sum(objects), 0) FROM folder_stats WHERE bucket = :b AND prefix = ''")
            .bind("b", bucket(i)).mapTo(Long.class).one());
      }
    });
    Map<String, String> paths = new LinkedHashMap<>();
    for (Map.Entry<String, Long> b : sizes.entrySet()) {
      String label = String.format(Locale.ROOT, "%s (%,d objects)", b.getKey(), b.getValue());
      String middle = database.jdbi().withHandle(h -> h.createQuery("""
              SELECT key FROM objects WHERE bucket = :b AND NOT deleted ORDER BY key
              OFFSET :n LIMIT 1""").bind("b", b.getKey()).bind("n", b.getValue() / 2).mapTo(String.class).one());
      String base = "/v1/buckets/" + b.getKey() + "/objects?page_size=100";
      paths.put("first page, " + label, base);
      paths.put("deep page (after half), " + label, base + "&start_after=" + URLEncoder.encode(middle, StandardCharsets.UTF_8));
      paths.put("/stats at the root, " + label, "/v1/buckets/" + b.getKey() + "/stats");
    }
    out.println("Reading through the API on the primary and the API on the replica ...");
    out.flush();
    for (int i = 0; i < 20; i++) {
      for (String path : paths.values()) {
        http.get("http://127.0.0.1:" + primaryPort + path);
        http.get("http://127.0.0.1:" + replicaPort + path);
      }
    }
    Map<String, double[][]> samples = new LinkedHashMap<>();
    paths.keySet().forEach(k -> samples.put(k, new double[2][repeats]));
    for (int i = 0; i < repeats; i++) {
      for (Map.Entry<String, String> p : paths.entrySet()) {
        int[] ports = {primaryPort, replicaPort};
        for (int side = 0; side < 2; side++) {
          long t = System.nanoTime();
          http.get("http://127.0.0.1:" + ports[side] + p.getValue());
          samples.get(p.getKey())[side][i] = (System.nanoTime() - t) / 1e6;
        }
      }
    }
    for (Map.Entry<String, double[][]> s : samples.entrySet()) {
      double primary = Report.median(s.getValue()[0]);
      double replica = Report.median(s.getValue()[1]);
      report.add(SECTION, s.getKey() + ": primary", primary, "ms", "median of " + repeats);
      report.add(SECTION, s.getKey() + ": replica", replica, "ms", String.format(Locale.ROOT, "median of %d; %.2fx the primary", repeats, replica / primary));
    }
    for (String b : sizes.keySet()) {
      String first = paths.keySet().stream().filter(k -> k.startsWith("first page, " + b)).findFirst().orElseThrow();
      String deep = paths.keySet().stream().filter(k -> k.startsWith("deep page (after half), " + b)).findFirst().orElseThrow();
      report.add(SECTION, "deep / first page, " + b + " (primary)",
          Report.median(samples.get(deep)[0]) / Report.median(samples.get(first)[0]), "x", "");
    }
  }

  /**
   * Loads {@code objects} objects: object g goes to bucket floor(1000 x u^4) for u spread evenly
   * over [0, 1) by a multiplicative hash of g, so bucket 0 holds about 18% of them and the last
   * buckets 0.025% each; keys in 100 folders of each bucket.
   */
  private void load(Database database, long objects) {
    long have = database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM objects").mapTo(Long.class).one());
    if (have == objects) {
      return;
    }
    out.printf(Locale.ROOT, "Loading %,d objects over %,d buckets ...%n", objects, BUCKETS);
    out.flush();
    long started = System.nanoTime();
    database.jdbi().useHandle(h -> {
      for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
        h.execute("ALTER TABLE objects DISABLE TRIGGER " + trigger);
      }
      h.execute("TRUNCATE objects, folder_stats, object_attrs, buckets");
      long step = 5_000_000;
      for (long from = 1; from <= objects; from += step) {
        long to = Math.min(objects, from + step - 1);
        h.execute(String.format(Locale.ROOT, """
            INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, storage_class, sequencer, event_time)
            SELECT 'bucket-' || lpad(floor(1000 * power(((g * 2654435761) %% 1000003) / 1000003.0, 4))::int::text, 4, '0'),
                   'f' || lpad((g %% 100)::text, 2, '0') || '/object-' || lpad(g::text, 11, '0'),
                   (g * 7919) %% 100000000, md5(g::text), 'application/octet-stream',
                   timestamptz '2024-01-01 00:00:00+00' + ((g * 104729) %% 31536000) * interval '1 second',
                   'STANDARD', lpad(to_hex(g), 16, '0'), timestamptz '2024-01-01 00:00:00+00'
            FROM generate_series(%d::bigint, %d) g""", from, to));
        out.printf(Locale.ROOT, "  %,d loaded (%.0f s)%n", to, (System.nanoTime() - started) / 1e9);
        out.flush();
      }
      h.execute("INSERT INTO buckets (name) SELECT DISTINCT bucket FROM objects ON CONFLICT DO NOTHING");
      h.execute("SET work_mem = '256MB'");
      List<String> buckets = h.createQuery("SELECT name FROM buckets ORDER BY name").mapTo(String.class).list();
      for (String b : buckets) {
        h.execute("SELECT s3index_folder_stats_repair(?)", b);
      }
      for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
        h.execute("ALTER TABLE objects ENABLE TRIGGER " + trigger);
      }
      h.execute("VACUUM ANALYZE objects");
      h.execute("VACUUM ANALYZE folder_stats");
    });
    out.printf(Locale.ROOT, "  loaded in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }
}
