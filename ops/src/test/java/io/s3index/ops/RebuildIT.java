package io.s3index.ops;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import io.s3index.testing.TestServers;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** ops rebuild under load: the API never fails, nothing published is lost, kills are harmless. */
class RebuildIT {

  private static final int KEYS = 20_000;

  /** Histories over KEYS keys; the model keeps the newest event per key. */
  private static final class Stream {
    final Map<String, Long> model = new HashMap<>();
    final AtomicLong sequence = new AtomicLong(1);
    final Random random = new Random(9);

    synchronized ObjectEvent next(String bucket) {
      long n = sequence.getAndIncrement();
      String key = String.format(Locale.ROOT, "k/%05d", random.nextInt(KEYS));
      String seq = Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
      Instant time = Instant.ofEpochSecond(1_700_000_000L + n);
      ObjectEvent e = random.nextInt(6) == 0
          ? new ObjectEvent(bucket, key, ObjectEvent.Kind.REMOVED, 0, null, null, seq, time, "ObjectRemoved:Delete")
          : new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, n, "e" + n, null, seq, time, "ObjectCreated:Put");
      if (e.kind() == ObjectEvent.Kind.CREATED) {
        model.put(key, e.size());
      } else {
        model.remove(key);
      }
      return e;
    }

    /** Publishes count events and returns once the broker has taken them all; a failed send throws. */
    void publish(EventPublisher publisher, String bucket, int count) {
      List<ObjectEvent> events = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        events.add(next(bucket));
      }
      publisher.publishAll(events, Duration.ofSeconds(60));
    }
  }

  private static Map<String, Long> live(Database database, String bucket) {
    return database.jdbi().withHandle(h -> h.createQuery("SELECT key, size FROM objects WHERE bucket = :b AND NOT deleted")
        .bind("b", bucket)
        .reduceRows(new HashMap<String, Long>(), (m, r) -> {
          m.put(r.getColumn("key", String.class), r.getColumn("size", Long.class));
          return m;
        }));
  }

  private static String[] flags(DatabaseConfig db, String topic, String group) {
    return new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password(),
        "--bootstrap-servers", TestServers.kafka().bootstrapServers(), "--topic", topic, "--group", group};
  }

  private static int rebuild(String[] flags, StringWriter out) {
    CommandLine cli = OpsMain.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    String[] args = new String[flags.length + 1];
    args[0] = "rebuild";
    System.arraycopy(flags, 0, args, 1, flags.length);
    return cli.execute(args);
  }

  @Test
  void rebuildsUnderLoadWithoutFailedRequestsOrLostEvents() throws Exception {
    String topic = "rebuild-events";
    TestServers.kafka().createTopic(topic, 4);
    DatabaseConfig db = TestServers.postgres().createDatabase("rebuild_load");
    Stream stream = new Stream();
    try (Database database = new Database(db, "rebuild");
         EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), topic)) {
      database.migrate();
      stream.publish(publisher, "rb", 100_000);
      try (Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), topic, db)
               .withGroupId("live"), database);
           QueryApi api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database)) {
        Waits.until("the live indexer caught up", Duration.ofSeconds(120), () -> indexer.stats().records() >= 100_000, indexer::describe);
        // Drift the live index on purpose: the rebuild must put it right.
        database.jdbi().useHandle(h -> h.execute("DELETE FROM objects WHERE key LIKE 'k/000%'"));

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger requests = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        ApiClient client = new ApiClient(api.port());
        Thread reader = new Thread(() -> {
          String cursor = null;
          while (running.get()) {
            ApiClient.Response r = client.get("/v1/buckets/rb/objects?page_size=50&sort_by=size"
                + (cursor == null ? "" : "&cursor=" + cursor));
            requests.incrementAndGet();
            if (r.status() != 200) {
              failures.incrementAndGet();
              cursor = null;
            } else {
              cursor = r.body().path("pagination").path("has_next").asBoolean()
                  ? r.body().path("pagination").path("next_cursor").asText() : null;
            }
          }
        }, "api-reader");
        Thread writer = new Thread(() -> {
          while (running.get()) {
            stream.publish(publisher, "rb", 200);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
          }
        }, "publisher");
        reader.start();
        writer.start();
        StringWriter out = new StringWriter();
        int exit;
        try {
          exit = rebuild(flags(db, topic, "live"), out);
        } finally {
          running.set(false);
          reader.join();
          writer.join();
        }
        System.out.println(out);
        System.out.printf("RebuildIT: %d API requests during the rebuild, %d failed%n", requests.get(), failures.get());
        assertThat(exit).as(out.toString()).isZero();
        assertThat(out.toString()).contains("swapped in the rebuilt index", "rebuilt:");
        long published = stream.sequence.get() - 1;
        Waits.until("the live indexer consumed everything", Duration.ofSeconds(120), () -> indexer.stats().records() >= published, indexer::describe);
        await("the index equals the model").atMost(Duration.ofSeconds(60)).until(() -> live(database, "rb").equals(stream.model));
        assertThat(requests.get()).isGreaterThan(20);
        assertThat(failures.get()).as("failed API requests during the rebuild").isZero();
        assertThat(published).isGreaterThan(100_000);
        long retired = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT count(*) FROM pg_class WHERE relname IN ('objects_rebuild', 'objects_retired')").mapTo(Long.class).one());
        assertThat(retired).isZero();
        // The rebuilt table is partitioned as the old one was, under the live names.
        List<String> parts = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT s3index_parts('objects')").mapTo(String.class).list());
        assertThat(parts).hasSize(io.s3index.shared.db.Database.DEFAULT_PARTITIONS).startsWith("objects_p000", "objects_p001");
        List<String> indexes = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'objects_p000'::regclass ORDER BY 1").mapTo(String.class).list());
        assertThat(indexes).contains("objects_p000_pkey", "objects_p000_live_by_key", "objects_p000_changes")
            .allMatch(name -> name.startsWith("objects_p000_"));
      }
    }
  }

  @Test
  void aKilledRebuildLeavesTheLiveIndexAloneAndARerunWorks() throws Exception {
    String topic = "rebuild-kill-events";
    TestServers.kafka().createTopic(topic, 2);
    DatabaseConfig db = TestServers.postgres().createDatabase("rebuild_kill");
    Stream stream = new Stream();
    try (Database database = new Database(db, "rebuild-kill");
         EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), topic)) {
      database.migrate();
      stream.publish(publisher, "rk", 150_000);
      try (Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), topic, db)
          .withGroupId("live"), database)) {
        Waits.until("the live indexer caught up", Duration.ofSeconds(120), () -> indexer.stats().records() >= 150_000, indexer::describe);
        Map<String, Long> before = live(database, "rk");
        assertThat(before).isEqualTo(stream.model);

        Path log = Files.createTempFile("rebuild", ".log");
        String[] flags = flags(db, topic, "live");
        String[] command = new String[flags.length + 5];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        command[1] = "-cp";
        command[2] = System.getProperty("java.class.path");
        command[3] = OpsMain.class.getName();
        command[4] = "rebuild";
        System.arraycopy(flags, 0, command, 5, flags.length);
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        await("the rebuild is half way").atMost(Duration.ofSeconds(120)).until(() -> shadowRows(database) > 5_000);
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

        assertThat(live(database, "rk")).as("the live index after a killed rebuild").isEqualTo(before);
        StringWriter out = new StringWriter();
        assertThat(rebuild(flags, out)).as(out.toString()).isZero();
        assertThat(live(database, "rk")).isEqualTo(stream.model);
        Files.deleteIfExists(log);
      }
    }
  }

  /** Rows the rebuild has written so far: staged events, then the loaded shadow. */
  private static long shadowRows(Database database) {
    return database.jdbi().withHandle(h -> {
      long rows = 0;
      for (String table : new String[] {"objects_rebuild_events", "objects_rebuild"}) {
        boolean exists = h.createQuery("SELECT to_regclass(:t) IS NOT NULL").bind("t", table).mapTo(Boolean.class).one();
        rows += exists ? h.createQuery("SELECT count(*) FROM " + table).mapTo(Long.class).one() : 0L;
      }
      return rows;
    });
  }
}
