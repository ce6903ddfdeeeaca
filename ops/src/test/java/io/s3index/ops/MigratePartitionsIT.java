package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.testing.TestServers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ops migrate --partitions N} moves an unpartitioned index online: while it copies, a
 * writer keeps creating, changing and removing rows of one bucket at random (each write its own
 * transaction, removals included, so copies read before a removal race it), and a reader walks
 * another bucket through the API. Afterwards objects has N partitions and equals the model of
 * every committed write; the quiet bucket's rows keep their change stamps; every API request
 * answered 200 and every completed walk returned the bucket exactly once; folder sizes agree.
 */
class MigratePartitionsIT {

  private static final int QUIET = 3_000;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6})
  void anUnpartitionedIndexMovesOnlineAndLosesNothing(int seed) throws Exception {
    DatabaseConfig db = TestServers.postgres().createDatabase("migrate_partitions_" + seed);
    try (Database database = new Database(db, "migrate-partitions")) {
      database.migrate(0);
      assertThat(partitionCount(database)).isZero();
      database.jdbi().useHandle(h -> {
        h.execute("""
            INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, event_time)
            SELECT 'quiet', 'd' || (g % 10) || '/k' || lpad(g::text, 5, '0'), g, 'e' || g, now(), lpad(to_hex(g), 8, '0'), now()
            FROM generate_series(1, ?) g""", QUIET);
        h.execute("""
            INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, event_time)
            SELECT 'busy', 'k' || lpad(g::text, 5, '0'), g, 'e' || g, now(), lpad(to_hex(g), 8, '0'), now()
            FROM generate_series(1, 6000) g""");
      });
      Map<String, String> quietBefore = rows(database, "quiet");
      Map<String, Long> model = new ConcurrentHashMap<>();
      database.jdbi().useHandle(h -> h.createQuery("SELECT key, size FROM objects WHERE bucket = 'busy'")
          .map((rs, c) -> model.put(rs.getString(1), rs.getLong(2))).list());

      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger writes = new AtomicInteger();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        Random random = new Random(seed);
        try {
          while (running.get()) {
            String key = String.format("k%05d", 1 + random.nextInt(8000));
            long size = random.nextInt(1_000_000);
            switch (random.nextInt(3)) {
              case 0 -> {
                database.jdbi().useHandle(h -> h.createUpdate("""
                    INSERT INTO objects (bucket, key, size, last_modified, sequencer, event_time)
                    VALUES ('busy', :k, :s, now(), 'f', now())
                    ON CONFLICT (bucket, key) DO UPDATE SET size = EXCLUDED.size""").bind("k", key).bind("s", size).execute());
                model.put(key, size);
              }
              case 1 -> {
                int n = database.jdbi().withHandle(h -> h.createUpdate(
                    "UPDATE objects SET size = :s WHERE bucket = 'busy' AND key = :k").bind("k", key).bind("s", size).execute());
                if (n == 1) {
                  model.put(key, size);
                }
              }
              default -> {
                database.jdbi().useHandle(h -> h.createUpdate(
                    "DELETE FROM objects WHERE bucket = 'busy' AND key = :k").bind("k", key).execute());
                model.remove(key);
              }
            }
            writes.incrementAndGet();
          }
        } catch (Throwable t) {
          failed.set(t);
        }
      }, "writer");

      try (QueryApi api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database)) {
        ApiClient client = new ApiClient(api.port());
        AtomicInteger requests = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        List<Integer> walks = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger wrongWalks = new AtomicInteger();
        Thread reader = new Thread(() -> {
          String cursor = null;
          List<String> seen = new ArrayList<>();
          while (running.get()) {
            ApiClient.Response r = client.get("/v1/buckets/quiet/objects?page_size=250"
                + (cursor == null ? "" : "&cursor=" + cursor));
            requests.incrementAndGet();
            if (r.status() != 200) {
              failures.incrementAndGet();
              cursor = null;
              seen.clear();
              continue;
            }
            r.body().path("data").forEach(o -> seen.add(o.path("key").asText()));
            if (r.body().path("pagination").path("has_next").asBoolean()) {
              cursor = r.body().path("pagination").path("next_cursor").asText();
            } else {
              if (seen.size() != QUIET || seen.stream().distinct().count() != QUIET) {
                wrongWalks.incrementAndGet();
              }
              walks.add(seen.size());
              seen.clear();
              cursor = null;
            }
          }
        }, "walker");
        writer.start();
        reader.start();
        OpsRun run;
        try {
          run = OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password()},
              "migrate", "--partitions", "4", "--batch-size", "200");
          int at = writes.get();
          // A few writes more, into the partitioned table.
          io.s3index.testing.Waits.until("writes after the switch", java.time.Duration.ofSeconds(30),
              () -> writes.get() > at + 50 || failed.get() != null, () -> "writes: " + writes.get());
        } finally {
          running.set(false);
          writer.join();
          reader.join();
        }
        assertThat(failed.get()).as("the writer's failure").isNull();
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("moving objects (one table) into 4 hash partitions", "copied [", "moved:");
        assertThat(partitionCount(database)).isEqualTo(4);

        Map<String, Long> busy = new TreeMap<>();
        database.jdbi().useHandle(h -> h.createQuery("SELECT key, size FROM objects WHERE bucket = 'busy'")
            .map((rs, c) -> busy.put(rs.getString(1), rs.getLong(2))).list());
        assertThat(busy).as("every committed write, and no removed row back").isEqualTo(new TreeMap<>(model));
        assertThat(writes.get()).isGreaterThan(100);
        assertThat(rows(database, "quiet")).as("untouched rows keep their stamps").isEqualTo(quietBefore);
        assertThat(failures.get()).as("failed API requests during the move").isZero();
        assertThat(requests.get()).isGreaterThan(10);
        assertThat(wrongWalks.get()).as("walks that missed or repeated a key, of " + walks).isZero();
        for (String b : List.of("quiet", "busy")) {
          long drift = database.jdbi().withHandle(h -> h.createQuery(
              "SELECT count(*) FROM s3index_folder_stats_drift(:b)").bind("b", b).mapTo(Long.class).one());
          assertThat(drift).as(b + "'s folder sizes").isZero();
        }
        long leftovers = database.jdbi().withHandle(h -> h.createQuery("""
            SELECT count(*) FROM pg_class
            WHERE relname IN ('objects_partitioned', 'objects_partition_gone', 'objects_before_move')""").mapTo(Long.class).one());
        assertThat(leftovers).isZero();

        OpsRun again = OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password()},
            "migrate", "--partitions", "4");
        assertThat(again.exit()).isZero();
        assertThat(again.out()).contains("objects already has 4 partitions");
        // From one partition count to another, the same way.
        Map<String, String> allBefore = rows(database, "busy");
        allBefore.putAll(rows(database, "quiet"));
        OpsRun more = OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password()},
            "migrate", "--partitions", "8");
        assertThat(more.exit()).as(more.out() + more.err()).isZero();
        assertThat(more.out()).contains("moving objects (4 partitions) into 8 hash partitions");
        assertThat(partitionCount(database)).isEqualTo(8);
        Map<String, String> allAfter = rows(database, "busy");
        allAfter.putAll(rows(database, "quiet"));
        assertThat(allAfter).isEqualTo(allBefore);
        OpsRun bad = OpsRun.run(new String[] {"--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password", db.password()},
            "migrate", "--partitions", "0");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--partitions must be between 1 and 1000");
      }
    }
  }

  private static int partitionCount(Database database) {
    return database.jdbi().withHandle(h -> h.createQuery("SELECT s3index_partition_count('objects')").mapTo(Integer.class).one());
  }

  private static Map<String, String> rows(Database database, String bucket) {
    Map<String, String> rows = new TreeMap<>();
    database.jdbi().useHandle(h -> h.createQuery("""
            SELECT key, concat_ws('|', size, etag, sequencer, deleted, version_xid, change_xid)
            FROM objects WHERE bucket = :b""").bind("b", bucket)
        .map((rs, c) -> rows.put(rs.getString(1), rs.getString(2))).list());
    return rows;
  }
}
