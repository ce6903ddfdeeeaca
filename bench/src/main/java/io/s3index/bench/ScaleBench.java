package io.s3index.bench;

import io.javalin.Javalin;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.S3EventFormat;
import io.s3index.shared.events.Sequencer;
import java.time.Instant;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * 18% of them, the smallest 0.025% each), loaded as a rebuild loads (rows first, then each
 * partition's indexes), then: the disk the index takes per million objects, a streaming replica
 * made of it, the live indexer's ingest into an empty index and on top of the load side by side,
 * and first and deep pages of the largest, a middle-sized and a small bucket and folder sizes at
 * their roots, read side by side through an API on the primary and one reading from the replica.
 * A long run, not part of the default set.
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

  void run(Report report, long objects, int repeats, int ingestEvents) {
    DatabaseConfig db = env.postgres.createDatabase("bench_scale");
    try (Database database = new Database(new DatabaseConfig(db.jdbcUrl(), db.user(), db.password(), 8), "bench-scale")) {
      database.migrate();
      load(database, objects);
      DiskUse.report(report, SECTION, database, objects, "indexes built after the load (as a rebuild does)");
      // Where ingest's time goes: page reads by the backends, timed.
      database.jdbi().useHandle(h -> {
        h.execute("ALTER SYSTEM SET track_io_timing = on");
        h.execute("SELECT pg_reload_conf()");
      });
      String first = publishIngest("bench-scale-ingest", objects, ingestEvents);
      DatabaseConfig empty = env.postgres.createDatabase("bench_scale_empty");
      try (Database emptyDatabase = new Database(new DatabaseConfig(empty.jdbcUrl(), empty.user(), empty.password(), 4), "bench-scale-empty")) {
        emptyDatabase.migrate();
      }
      Ingested onEmpty = ingest(empty, first, "bench-scale-ingest-empty", ingestEvents);
      Ingested alone = ingest(db, first, "bench-scale-ingest", ingestEvents);
      report.add(SECTION, "ingest into an empty index", onEmpty.rate(), "events/s", onEmpty.describe(ingestEvents));
      report.add(SECTION, String.format(Locale.ROOT, "ingest on top of %,d objects", objects), alone.rate(), "events/s",
          alone.describe(ingestEvents) + String.format(Locale.ROOT, "; %.2fx the empty index's", alone.rate() / onEmpty.rate()));
      out.println("Starting a streaming replica of the database server (a base backup of it) ...");
      out.flush();
      long copying = System.nanoTime();
      try (EmbeddedReplica replica = env.postgres.startReplica("bench_scale_replica")) {
        report.add(SECTION, "replica made (base backup copied, replay started)", (System.nanoTime() - copying) / 1e9, "s", "");
        ApiConfig primaryOnly = ApiConfig.of("127.0.0.1", 0, database.config());
        ApiConfig withReplica = primaryOnly.withReadReplicas(List.of(replica.config("bench_scale")), Duration.ofSeconds(30));
        String second = publishIngest("bench-scale-ingest-2", objects + ingestEvents, ingestEvents);
        Ingested withReplicaAttached = ingest(db, second, "bench-scale-ingest-2", ingestEvents);
        report.add(SECTION, String.format(Locale.ROOT, "ingest on top of %,d + %,d objects, the replica attached", objects, ingestEvents),
            withReplicaAttached.rate(), "events/s", withReplicaAttached.describe(ingestEvents) + String.format(Locale.ROOT,
                "; %.2fx the same without the replica", withReplicaAttached.rate() / alone.rate()));
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
   * buckets 0.025% each; keys in 100 folders of each bucket. Loaded as a rebuild loads: into a
   * shadow partitioned like objects and without indexes, whose indexes are then built a partition
   * at a time on two connections (V14's functions), swapped in for the empty table; the folder
   * sizes derived in one pass.
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
      h.execute("DROP TABLE IF EXISTS objects_load");
      h.execute("TRUNCATE objects, folder_stats, object_attrs, buckets");
      h.execute("SELECT s3index_create_objects_like('objects_load', s3index_partition_count('objects'))");
      long step = 5_000_000;
      for (long from = 1; from <= objects; from += step) {
        long to = Math.min(objects, from + step - 1);
        h.execute(String.format(Locale.ROOT, """
            INSERT INTO objects_load (bucket, key, size, etag, content_type, last_modified, storage_class, sequencer, event_time)
            SELECT 'bucket-' || lpad(floor(1000 * power(((g * 2654435761) %% 1000003) / 1000003.0, 4))::int::text, 4, '0'),
                   'f' || lpad((g %% 100)::text, 2, '0') || '/object-' || lpad(g::text, 11, '0'),
                   (g * 7919) %% 100000000, md5(g::text), 'application/octet-stream',
                   timestamptz '2024-01-01 00:00:00+00' + ((g * 104729) %% 31536000) * interval '1 second',
                   'STANDARD', lpad(to_hex(g), 16, '0'), timestamptz '2024-01-01 00:00:00+00'
            FROM generate_series(%d::bigint, %d) g""", from, to));
        out.printf(Locale.ROOT, "  %,d loaded (%.0f s)%n", to, (System.nanoTime() - started) / 1e9);
        out.flush();
      }
    });
    long indexing = System.nanoTime();
    List<String[]> builds = database.jdbi().withHandle(h -> h.createQuery("""
            SELECT p.part, d.suffix FROM s3index_index_defs('objects') d, s3index_parts('objects_load') AS p(part)
            ORDER BY d.is_primary DESC, d.suffix, p.part""")
        .map((rs, c) -> new String[] {rs.getString(1), rs.getString(2)}).list());
    java.util.concurrent.ConcurrentLinkedQueue<String[]> queue = new java.util.concurrent.ConcurrentLinkedQueue<>(builds);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<?>> workers = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        workers.add(pool.submit(() -> database.jdbi().useHandle(h -> {
          h.execute("SET maintenance_work_mem = '1GB'");
          for (String[] b = queue.poll(); b != null; b = queue.poll()) {
            h.execute("SELECT s3index_build_index(?, ?)", b[0], b[1]);
          }
        })));
      }
      for (java.util.concurrent.Future<?> w : workers) {
        w.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while indexing", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("an index build failed: " + e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    out.printf(Locale.ROOT, "  %,d index builds (a partition each) in %.0f s%n", builds.size(), (System.nanoTime() - indexing) / 1e9);
    out.flush();
    long deriving = System.nanoTime();
    database.jdbi().useHandle(h -> {
      h.execute("SELECT s3index_finish_indexes('objects_load')");
      h.useTransaction(t -> {
        t.execute("SELECT s3index_replace_objects('objects_load', 'objects_empty')");
        t.execute("DROP TABLE objects_empty");
      });
      h.execute("INSERT INTO buckets (name) SELECT DISTINCT bucket FROM objects ON CONFLICT DO NOTHING");
      h.execute("SET work_mem = '1GB'");
      h.execute("SELECT s3index_derive_fill('')");
      out.printf(Locale.ROOT, "  folder sizes derived in %.0f s%n", (System.nanoTime() - deriving) / 1e9);
      out.flush();
      h.execute("VACUUM ANALYZE objects");
      h.execute("VACUUM ANALYZE folder_stats");
    });
    out.printf(Locale.ROOT, "  loaded in %.0f s%n", (System.nanoTime() - started) / 1e9);
  }

  /**
   * Publishes {@code events} creates of new objects, spread over the buckets as the load is, to a
   * topic of 4 partitions; returns the topic.
   */
  private String publishIngest(String topic, long objects, int events) {
    env.kafka.createTopic(topic, 4);
    S3EventFormat format = new S3EventFormat();
    out.printf(Locale.ROOT, "Publishing %,d events of new objects for the ingest ...%n", events);
    out.flush();
    Map<String, Object> producerConfig = io.s3index.shared.events.ProducerSettings.durable(env.kafka.bootstrapServers(), "s3index-bench-scale");
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    producerConfig.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < events; i++) {
        long g = objects + 1 + i;
        int b = (int) Math.floor(1000 * Math.pow(((g * 2654435761L) % 1000003) / 1000003.0, 4));
        String key = String.format(Locale.ROOT, "f%02d/object-%011d", g % 100, g);
        ObjectEvent e = new ObjectEvent(bucket(b), key, ObjectEvent.Kind.CREATED, (g * 7919) % 100_000_000,
            "0123456789abcdef0123456789abcdef", "application/octet-stream",
            Sequencer.normalize(String.format(Locale.ROOT, "%016X", g)), Instant.ofEpochSecond(1_735_689_600L + i), "ObjectCreated:Put");
        producer.send(new ProducerRecord<>(topic, S3EventFormat.messageKey(e), format.toJson(e)));
      }
      producer.flush();
    }
    return topic;
  }

  /**
   * The live indexer's rate applying the topic to a database: one indexer (enrichment off), timed
   * after its first 10%.
   */
  /** An ingest's rate, and the page reads the database's backends made meanwhile (all of them: only the indexer ran). */
  private record Ingested(double rate, long reads, double readMs) {
    String describe(int events) {
      return String.format(Locale.ROOT, "%,d creates over the 1,000 buckets, one indexer, 4 topic partitions; "
          + "%.1f page reads per event, %.2f ms reading per event (of %.2f ms per event)", events,
          reads / (double) events, readMs / events, 1000 / rate);
    }
  }

  private Ingested ingest(DatabaseConfig db, String topic, String group, int events) {
    out.printf(Locale.ROOT, "Ingesting %,d events into %s ...%n", events, db.jdbcUrl().replaceAll(".*/", ""));
    out.flush();
    try (Database database = new Database(db, "bench-scale-ingest")) {
      double[] before = io(database);
      Indexer indexer = Indexer.start(IndexerConfig.of(env.kafka.bootstrapServers(), topic, db).withGroupId(group), database);
      double rate;
      try {
        rate = IngestBench.sustainedRate(() -> indexer.stats().records(), events).rate();
      } finally {
        indexer.close();
      }
      double[] after = io(database);
      return new Ingested(rate, (long) (after[0] - before[0]), after[1] - before[1]);
    }
  }

  /** Blocks read by client backends, and the milliseconds spent reading them (pg_stat_io). */
  private static double[] io(Database database) {
    return database.jdbi().withHandle(h -> h.createQuery("""
            SELECT coalesce(sum(reads), 0), coalesce(sum(read_time), 0)
            FROM pg_stat_io WHERE backend_type = 'client backend'""")
        .map((rs, c) -> new double[] {rs.getDouble(1), rs.getDouble(2)}).one());
  }
}
