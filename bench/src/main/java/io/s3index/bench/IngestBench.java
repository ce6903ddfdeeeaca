package io.s3index.bench;

import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.indexer.IndexerStats;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.embedded.EmbeddedS3;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.S3EventFormat;
import io.s3index.shared.events.Sequencer;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Ingest: events per second from Kafka into PostgreSQL. The topic is filled first; then, several
 * times, a fresh database is filled from it by an indexer (enrichment off) and timed from its
 * first committed batch to its last. Also reports where a batch's time goes.
 */
final class IngestBench {

  static final String SECTION = "ingest (Kafka -> PostgreSQL, enrichment off)";

  private final BenchEnvironment env;
  private final PrintWriter out;

  IngestBench(BenchEnvironment env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  /** Publishes {@code count} S3 notifications for distinct keys to a fresh topic. */
  static String fill(BenchEnvironment env, String topic, int count, PrintWriter out) {
    env.kafka.createTopic(topic, 4);
    S3EventFormat format = new S3EventFormat();
    Random random = new Random(1);
    long started = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(loadProducer(env.kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        String key = String.format(Locale.ROOT, "data/part-%03d/object-%09d.bin", i % 500, i);
        ObjectEvent e = new ObjectEvent("bench", key, ObjectEvent.Kind.CREATED,
            random.nextInt(10_000_000), "0123456789abcdef0123456789abcdef", null,
            Sequencer.normalize(String.format(Locale.ROOT, "%016X", i + 1L)),
            Instant.ofEpochSecond(1_700_000_000L + i), "ObjectCreated:Put");
        producer.send(new ProducerRecord<>(topic, S3EventFormat.messageKey(e), format.toJson(e)));
      }
      producer.flush();
    }
    out.printf(Locale.ROOT, "  published %,d events in %.1f s%n", count, (System.nanoTime() - started) / 1e9);
    out.flush();
    return topic;
  }

  /**
   * The same ingest with enrichment on: HeadObject per applied create against the embedded S3
   * (the objects are absent there, so every call is a 404: the full client path, minus body
   * parsing). Ingest must not wait for it; the queue drains behind.
   */
  private void enriched(Report report, String topic, int events, double offRate, java.time.Duration drainWait) {
    DatabaseConfig db = env.postgres.createDatabase("bench_ingest_enriched");
    try (Database database = new Database(db, "bench")) {
      database.migrate();
      IndexerConfig config = IndexerConfig.of(env.kafka.bootstrapServers(), topic, db)
          .withGroupId("bench-ingest-enriched")
          .withEnrichment(new S3Settings(env.s3.endpoint(), "us-east-1", EmbeddedS3.ACCESS_KEY,
              EmbeddedS3.SECRET_KEY, true));
      Indexer indexer = Indexer.start(config, database);
      IndexerStats stats = indexer.stats();
      Sustained timed = sustainedRate(stats, events);
      long ingested = timed.doneAt();
      // The HeadObject rate is what matters here; waiting at most drainWait for the queue bounds the run.
      long drainDeadline = ingested + drainWait.toNanos();
      while (stats.enriched() + stats.enrichmentFailures() < events && System.nanoTime() < drainDeadline) {
        LockSupport.parkNanos(5_000_000);
      }
      long drained = System.nanoTime();
      boolean complete = stats.enriched() + stats.enrichmentFailures() >= events;
      indexer.close();
      double rate = timed.rate();
      out.printf(Locale.ROOT, "  with enrichment: %,.0f events/s ingested; HeadObject queue drained %.1f s later%n",
          rate, (drained - ingested) / 1e9);
      report.add(SECTION, "rate with enrichment on", rate, "events/s",
          String.format(Locale.ROOT, "%.2fx the median without; 16 concurrent HeadObject calls", rate / offRate));
      report.add(SECTION, "HeadObject calls per second", stats.enriched() / ((drained - timed.startedAt()) / 1e9),
          "calls/s", "embedded S3Proxy, beside ingest on the same 2 cores");
      report.add(SECTION, complete ? "enrichment lag after ingest" : "enrichment still queued after",
          (drained - ingested) / 1e9, "s", complete ? "queue drained after the last batch committed"
              : String.format(Locale.ROOT, "%,d of %,d enriched when the bench stopped waiting", stats.enriched(), events));
    }
  }

  /** Replays the filled topic with ops rebuild into a fresh database, timed end to end. */
  void duringRebuild(Report report, int events) {
    DatabaseConfig db = env.postgres.createDatabase("bench_rebuild");
    try (Database database = new Database(db, "bench")) {
      database.migrate();
    }
    java.io.StringWriter log = new java.io.StringWriter();
    picocli.CommandLine cli = io.s3index.ops.OpsMain.commandLine();
    cli.setOut(new PrintWriter(log, true));
    cli.setErr(new PrintWriter(log, true));
    long t = System.nanoTime();
    int exit = cli.execute("rebuild", "--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password(),
        "--bootstrap-servers", env.kafka.bootstrapServers(), "--topic", "bench-ingest", "--group", "bench-rebuild");
    double seconds = (System.nanoTime() - t) / 1e9;
    if (exit != 0) {
      throw new IllegalStateException("rebuild failed: " + log);
    }
    for (String line : log.toString().split("\n")) {
      if (!line.isBlank() && !line.contains("\r")) {
        out.println("  | " + line.strip());
      }
    }
    report.add(SECTION, "rate during rebuild", events / seconds, "events/s",
        "ops rebuild end to end into an empty database (prepare, replay, swap); target >= 50,000");
    out.printf(Locale.ROOT, "  rebuild: %,.0f events/s%n", events / seconds);
    out.flush();
  }

  /** A sustained ingest rate, and the instants it was measured between. */
  record Sustained(double rate, long startedAt, long doneAt) {}

  /**
   * Waits until the indexer has committed {@code events} records and returns the rate from the
   * first 10% of the topic (consumer joined, JIT warm) to the end.
   *
   * @throws IllegalStateException if ingest does not finish within ten minutes
   */
  private static Sustained sustainedRate(IndexerStats stats, int events) {
    return sustainedRate(stats::records, events);
  }

  static Sustained sustainedRate(java.util.function.LongSupplier records, int events) {
    long firstAt = 0;
    long firstRecords = 0;
    long deadline = System.nanoTime() + 600_000_000_000L;
    while (records.getAsLong() < events && System.nanoTime() < deadline) {
      if (firstAt == 0 && records.getAsLong() >= events / 10) {
        firstAt = System.nanoTime();
        firstRecords = records.getAsLong();
      }
      LockSupport.parkNanos(2_000_000);
    }
    long done = System.nanoTime();
    if (records.getAsLong() < events) {
      throw new IllegalStateException("ingest did not finish: " + records.getAsLong() + " of " + events);
    }
    return new Sustained((events - firstRecords) / ((done - firstAt) / 1e9), firstAt, done);
  }

  /** @param drainWait how long to wait for the enrichment queue after ingest with enrichment on */
  void run(Report report, int events, int runs, java.time.Duration drainWait) {
    out.println("Ingest: filling the topic ...");
    String topic = fill(env, "bench-ingest", events, out);
    double[] rates = new double[runs];
    double parse = 0;
    double write = 0;
    double commit = 0;
    double batch = 0;
    for (int run = 0; run < runs; run++) {
      DatabaseConfig db = env.postgres.createDatabase("bench_ingest_" + run);
      try (Database database = new Database(db, "bench")) {
        database.migrate();
        IndexerConfig config = IndexerConfig.of(env.kafka.bootstrapServers(), topic, db)
            .withGroupId("bench-ingest-" + run);
        Indexer indexer = Indexer.start(config, database);
        IndexerStats stats = indexer.stats();
        Sustained timed = sustainedRate(stats, events);
        indexer.close();
        rates[run] = timed.rate();
        parse += stats.parseNanos();
        write += stats.writeNanos();
        commit += stats.commitNanos();
        batch += stats.batchNanos();
        out.printf(Locale.ROOT, "  run %d: %,.0f events/s%n", run + 1, rates[run]);
        out.flush();
      }
    }
    enriched(report, topic, events, Report.median(rates), drainWait);
    report.add(SECTION, "events per run", events, "events", "distinct keys, 4 partitions, batches of up to 5000");
    report.add(SECTION, "median rate", Report.median(rates), "events/s",
        "over " + runs + " runs, each timed after its first 10%; target >= 20,000");
    report.add(SECTION, "slowest run", java.util.Arrays.stream(rates).min().orElse(0), "events/s", null);
    report.add(SECTION, "fastest run", java.util.Arrays.stream(rates).max().orElse(0), "events/s", null);
    report.add(SECTION, "time in parsing", 100 * parse / batch, "%", "share of batch time");
    report.add(SECTION, "time in the database transaction", 100 * write / batch, "%", "upsert + progress rows");
    report.add(SECTION, "time in the offset commit", 100 * commit / batch, "%", null);
  }

  static final String FOLDERS = "ingest with folder sizes kept versus not (Kafka -> PostgreSQL)";

  /**
   * The same topic ingested with the folder-size and metadata triggers on and off (disabled on the
   * fresh database: the price of keeping sizes), by one indexer and by two of one group (whose
   * batches would queue on the bucket's root row without the stripes), the four cases taking turns.
   */
  void folderCounts(Report report, String topic, int events, int runs) {
    String[] cases = {"one indexer, sizes kept", "one indexer, sizes not kept", "two indexers, sizes kept",
        "two indexers, sizes not kept"};
    double[][] rates = new double[cases.length][runs];
    long[] failedBatches = new long[cases.length];
    for (int run = 0; run < runs; run++) {
      for (int c = 0; c < cases.length; c++) {
        boolean kept = c % 2 == 0;
        int indexers = c < 2 ? 1 : 2;
        DatabaseConfig db = env.postgres.createDatabase("bench_folders_" + run + "_" + c);
        try (Database database = new Database(db, "bench")) {
          database.migrate();
          if (!kept) {
            database.jdbi().useHandle(h -> {
              for (String trigger : new String[] {"objects_derive_insert", "objects_derive_update", "objects_derive_delete"}) {
                h.execute("ALTER TABLE objects DISABLE TRIGGER " + trigger);
              }
            });
          }
          IndexerConfig config = IndexerConfig.of(env.kafka.bootstrapServers(), topic, db)
              .withGroupId("bench-folders-" + run + "-" + c);
          java.util.List<Indexer> started = new java.util.ArrayList<>();
          for (int i = 0; i < indexers; i++) {
            started.add(Indexer.start(config, database));
          }
          Sustained timed = sustainedRate(() -> started.stream().mapToLong(x -> x.stats().records()).sum(), events);
          for (Indexer indexer : started) {
            failedBatches[c] += indexer.stats().failedBatches();
            indexer.close();
          }
          rates[c][run] = timed.rate();
          out.printf(Locale.ROOT, "  run %d, %s: %,.0f events/s%n", run + 1, cases[c], rates[c][run]);
          out.flush();
        }
      }
    }
    for (int c = 0; c < cases.length; c++) {
      double median = Report.median(rates[c]);
      String note = "median of " + runs + "; " + failedBatches[c] + " batch attempt(s) retried";
      if (c % 2 == 0) {
        note += String.format(Locale.ROOT, "; %.2fx without sizes (target >= 0.8x)", median / Report.median(rates[c + 1]));
      }
      report.add(FOLDERS, cases[c], median, "events/s", note);
    }
  }

  /** A durable producer that batches for throughput: the load, not what is measured. */
  private static Map<String, Object> loadProducer(String bootstrapServers) {
    Map<String, Object> config = io.s3index.shared.events.ProducerSettings.durable(bootstrapServers, "s3index-bench-load");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    return config;
  }
}
