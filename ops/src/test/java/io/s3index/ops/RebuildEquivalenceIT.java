package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import io.s3index.testing.TestServers;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The bulk path of ops rebuild (copy to staging, reduce, index) leaves exactly the rows the live
 * writer leaves for the same topic: every column, for keys COPY must escape, metadata, content
 * types, delete markers, permanent removals of current and older versions, and duplicates.
 */
class RebuildEquivalenceIT {

  private static final String[] AWKWARD_KEYS = {
      "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "back\\nslash-n", "\\N",
      "quote\"and'apostrophe", "emoji 😀/ü", "per%cent+plus", "a/b/c.txt", "comma,semicolon;"};

  private static final String SELECT_ALL = """
      SELECT bucket, key, size, etag, content_type, last_modified, storage_class, version_id,
             sequencer, deleted, metadata::text AS metadata, event_time
      FROM objects ORDER BY bucket, key""";

  @Test
  void bulkRebuildEqualsLiveIndexing() {
    String topic = "rebuild-equivalence";
    TestServers.kafka().createTopic(topic, 3);
    List<ObjectEvent> events = history(new Random(17), 4_000);
    // The wait below counts on every event being on the topic: a failed send fails here.
    try (EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), topic)) {
      publisher.publishAll(events, Duration.ofSeconds(60));
    }

    DatabaseConfig liveDb = TestServers.postgres().createDatabase("equivalence_live");
    DatabaseConfig rebuiltDb = TestServers.postgres().createDatabase("equivalence_rebuilt");
    try (Database live = new Database(liveDb, "live"); Database rebuilt = new Database(rebuiltDb, "rebuilt")) {
      live.migrate();
      rebuilt.migrate();
      try (Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), topic, liveDb)
          .withGroupId("equivalence"), live)) {
        Waits.until("the live indexer read the topic", Duration.ofSeconds(120), () -> indexer.stats().records() >= events.size(), indexer::describe);
      }

      StringWriter out = new StringWriter();
      CommandLine cli = OpsMain.commandLine();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(out, true));
      // No catch-up allowance: every event goes through the bulk path. Five jobs: the reduce in
      // five parts by key, more than the two cores here and than ops' usual pool of four
      // connections, and the index builds interleaved.
      int exit = cli.execute("rebuild", "--db-url", rebuiltDb.jdbcUrl(), "--db-user", rebuiltDb.user(),
          "--db-password", rebuiltDb.password(), "--bootstrap-servers", TestServers.kafka().bootstrapServers(),
          "--topic", topic, "--group", "equivalence", "--catch-up-lag", "0", "--jobs", "5");
      assertThat(exit).as(out.toString()).isZero();
      assertThat(out.toString()).contains("version removals applied");

      List<Map<String, Object>> expected = live.jdbi().withHandle(h -> h.createQuery(SELECT_ALL).mapToMap().list());
      List<Map<String, Object>> actual = rebuilt.jdbi().withHandle(h -> h.createQuery(SELECT_ALL).mapToMap().list());
      assertThat(expected).hasSizeGreaterThan(300);
      assertThat(expected.stream().filter(r -> (Boolean) r.get("deleted")).count()).isPositive();
      assertThat(expected.stream().filter(r -> r.get("metadata") != null).count()).isPositive();
      assertThat(actual).containsExactlyElementsOf(expected);
      // The swapped-in table has the live table's indexes, under the live names.
      assertThat(indexes(rebuilt)).isEqualTo(indexes(live));
    }
  }

  private static List<String> indexes(Database database) {
    return database.jdbi().withHandle(h -> h.createQuery(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'objects'::regclass ORDER BY 1")
        .mapTo(String.class).list());
  }

  /**
   * Histories per key, each key's events in sequencer order (one key stays in one partition, so
   * the live indexer sees them in that order too); keys interleave.
   */
  private static List<ObjectEvent> history(Random random, int count) {
    List<String> keys = new ArrayList<>(List.of(AWKWARD_KEYS));
    for (int i = 0; i < 300; i++) {
      keys.add(String.format(Locale.ROOT, "k/%03d", i));
    }
    Map<String, String> currentVersion = new LinkedHashMap<>();
    List<ObjectEvent> events = new ArrayList<>();
    Instant t0 = Instant.parse("2025-01-01T00:00:00.123456Z");
    for (int n = 1; n <= count; n++) {
      String key = keys.get(random.nextInt(keys.size()));
      String bucket = random.nextInt(5) == 0 ? "other-bucket" : "eq";
      String seq = Sequencer.normalize(String.format(Locale.ROOT, "%016X", (long) n * 16));
      Instant time = t0.plusMillis(n * 7L);
      String version = "v" + n;
      int pick = random.nextInt(10);
      ObjectEvent e;
      if (pick < 6) {
        Map<String, String> metadata = random.nextBoolean() ? null
            : Map.of("owner", "team\t" + n, "note", "line\nbreak \\ " + n);
        e = new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, n * 13L, "etag" + n, version, seq, time,
            "ObjectCreated:Put", random.nextBoolean() ? "text/plain" : null, metadata);
        currentVersion.put(bucket + "/" + key, version);
      } else if (pick < 7) {
        e = new ObjectEvent(bucket, key, ObjectEvent.Kind.REMOVED, 0, null, null, seq, time,
            "ObjectRemoved:DeleteMarkerCreated");
      } else {
        // A permanent removal of the current version, or of an older one that changes nothing.
        String current = currentVersion.getOrDefault(bucket + "/" + key, "v0");
        String named = random.nextBoolean() ? current : "v" + random.nextInt(n);
        e = new ObjectEvent(bucket, key, ObjectEvent.Kind.VERSION_REMOVED, 0, null, named, seq, time,
            "ObjectRemoved:Delete");
      }
      events.add(e);
      if (random.nextInt(20) == 0) {
        events.add(e); // a duplicate delivery
      }
    }
    return events;
  }
}
