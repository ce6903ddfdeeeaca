package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import io.s3index.testing.TestServers;
import io.s3index.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code ops rebuild --bucket B} rebuilds one bucket from the topic and merges it into the live
 * (partitioned) index: the damaged rows of that bucket are made right again, its unchanged rows
 * keep their change stamps, its folder sizes agree with its rows, and the rows of every other
 * bucket are not written at all (same tuple, same stamps); the live indexer goes on afterwards.
 */
class RebuildBucketIT {

  private static final List<String> BUCKETS = List.of("rb-one", "rb-two", "rb-three");

  private static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }

  /** The rows of a bucket by key: values, stamps, and with {@code tuple} the row version's xmin and ctid. */
  private static Map<String, String> rows(Database database, String bucket, boolean tuple) {
    return database.jdbi().withHandle(h -> h.createQuery("""
            SELECT key, concat_ws('|', size, etag, last_modified, sequencer, deleted, version_xid, change_xid,
                                  CASE WHEN :tuple THEN xmin::text || ctid::text END)
            FROM objects WHERE bucket = :b ORDER BY key""")
        .bind("b", bucket).bind("tuple", tuple)
        .map((rs, c) -> Map.entry(rs.getString(1), rs.getString(2))).list())
        .stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, java.util.TreeMap::new));
  }

  /** The values only (no stamps): what the topic says. */
  private static Map<String, String> values(Database database, String bucket) {
    return database.jdbi().withHandle(h -> h.createQuery("""
            SELECT key, concat_ws('|', size, etag, last_modified, sequencer, deleted)
            FROM objects WHERE bucket = :b ORDER BY key""")
        .bind("b", bucket).map((rs, c) -> Map.entry(rs.getString(1), rs.getString(2))).list())
        .stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, java.util.TreeMap::new));
  }

  @Test
  void oneBucketIsRebuiltAndTheOthersAreNotTouched() throws Exception {
    String topic = "rebuild-bucket-events";
    TestServers.kafka().createTopic(topic, 2);
    DatabaseConfig db = TestServers.postgres().createDatabase("rebuild_bucket");
    try (Database database = new Database(db, "rebuild-bucket");
         EventPublisher publisher = new EventPublisher(TestServers.kafka().bootstrapServers(), topic)) {
      database.migrate();
      List<ObjectEvent> events = new ArrayList<>();
      long n = 0;
      for (String bucket : BUCKETS) {
        for (int i = 0; i < 300; i++) {
          n++;
          events.add(new ObjectEvent(bucket, String.format(Locale.ROOT, "d%d/k%03d", i % 4, i), ObjectEvent.Kind.CREATED,
              i + 1, "e" + i, null, seq(n), Instant.ofEpochSecond(1_700_000_000L + n), "ObjectCreated:Put"));
        }
        for (int i = 0; i < 300; i += 10) {
          n++;
          events.add(new ObjectEvent(bucket, String.format(Locale.ROOT, "d%d/k%03d", i % 4, i), ObjectEvent.Kind.REMOVED,
              0, null, null, seq(n), Instant.ofEpochSecond(1_700_000_000L + n), "ObjectRemoved:Delete"));
        }
      }
      publisher.publishAll(events, Duration.ofSeconds(60));
      try (Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(), topic, db)
          .withGroupId("rebuild-bucket-live"), database)) {
        Waits.until("the events are indexed", Duration.ofSeconds(60), () -> indexer.stats().records() >= events.size(), indexer::describe);
        Map<String, String> rightValues = values(database, "rb-two");
        Map<String, Map<String, String>> others = new java.util.HashMap<>();
        for (String b : List.of("rb-one", "rb-three")) {
          others.put(b, rows(database, b, true));
        }
        // Damage rb-two behind the indexer's back: rows lost, sizes wrong, an object no event made.
        database.jdbi().useHandle(h -> {
          h.execute("DELETE FROM objects WHERE bucket = 'rb-two' AND key LIKE 'd1/%'");
          h.execute("UPDATE objects SET size = size + 1000 WHERE bucket = 'rb-two' AND key LIKE 'd2/%'");
          h.execute("""
              INSERT INTO objects (bucket, key, size, last_modified, sequencer, event_time)
              VALUES ('rb-two', 'd3/stray', 5, now(), '1', now())""");
        });
        Map<String, String> damaged = rows(database, "rb-two", false);
        assertThat(values(database, "rb-two")).isNotEqualTo(rightValues);

        OpsRun refused = rebuild(db, topic, "rb-two");
        assertThat(refused.exit()).as(refused.out() + refused.err()).isNotZero();
        assertThat(refused.out() + refused.err()).contains("1 live object(s)", "rb-two/d3/stray");
        assertThat(rows(database, "rb-two", false)).as("refused: the bucket unchanged").isEqualTo(damaged);

        OpsRun run = rebuild(db, topic, "rb-two", "--allow-drop");
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("merged the rebuilt bucket rb-two", "rebuilt:", "in rb-two");

        Map<String, String> after = values(database, "rb-two");
        Map<String, String> expected = new java.util.TreeMap<>(rightValues);
        expected.put("d3/stray", after.get("d3/stray"));
        assertThat(after).isEqualTo(expected);
        assertThat(after.get("d3/stray")).as("the stray object, dropped as a tombstone").endsWith("|t");
        // Rows of rb-two that were never damaged keep their stamps; repaired ones have new ones.
        Map<String, String> stamped = rows(database, "rb-two", false);
        Function<String, Boolean> untouched = k -> k.startsWith("d0/") || k.startsWith("d3/") && !k.equals("d3/stray");
        stamped.forEach((key, row) -> {
          if (untouched.apply(key)) {
            assertThat(row).as(key).isEqualTo(damaged.get(key));
          } else {
            assertThat(row).as(key).isNotEqualTo(damaged.get(key));
          }
        });
        for (String b : List.of("rb-one", "rb-three")) {
          assertThat(rows(database, b, true)).as(b + ": not one row written").isEqualTo(others.get(b));
        }
        long drift = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT count(*) FROM s3index_folder_stats_drift('rb-two')").mapTo(Long.class).one());
        assertThat(drift).as("rb-two's folder sizes agree with its rows").isZero();
        long shadows = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'objects_rebuild%'").mapTo(Long.class).one());
        assertThat(shadows).as("the shadow is dropped").isZero();

        // The live indexer goes on from its own offsets.
        ObjectEvent later = new ObjectEvent("rb-two", "d9/later", ObjectEvent.Kind.CREATED, 42, "late", null,
            seq(n + 1), Instant.ofEpochSecond(1_800_000_000L), "ObjectCreated:Put");
        publisher.publishAll(List.of(later), Duration.ofSeconds(30));
        Waits.until("the live indexer applies what follows", Duration.ofSeconds(60),
            () -> values(database, "rb-two").containsKey("d9/later"), indexer::describe);
      }
    }
  }

  private static OpsRun rebuild(DatabaseConfig db, String topic, String bucket, String... more) {
    List<String> args = new ArrayList<>(List.of("rebuild", "--bucket", bucket));
    args.addAll(List.of(more));
    return OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password(),
        "--bootstrap-servers", TestServers.kafka().bootstrapServers(), "--topic", topic, "--group", "rebuild-bucket-live"},
        args.toArray(String[]::new));
  }
}
