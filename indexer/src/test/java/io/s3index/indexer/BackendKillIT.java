package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import io.s3index.testing.Waits;
import io.s3index.embedded.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.ObjectEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL backends killed with SIGKILL at random instants during ingest, with asynchronous
 * commit (the embedded server's fast settings): each kill makes PostgreSQL reset every
 * connection and run crash recovery, which drops its last commits with their progress rows. The
 * indexer must read those events again; the index ends equal to the model of what was published.
 */
class BackendKillIT {

  private static final int KEYS = 2_000;
  private static final int EVENTS = 14_000;
  private static final int KILLS = 5;

  @Test
  void theIndexEqualsTheModelAfterBackendsAreKilledMidIngest() throws Exception {
    int port = FreePorts.loopback();
    Path data = Files.createTempDirectory("backend-kill-pg");
    Random random = new Random(20261130L);
    try (Harness harness = new Harness("backend-kill", 4);
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(port, data)) {
      DatabaseConfig db = postgres.createDatabase("backend_kill");
      try (Database database = new Database(db, "backend-kill")) {
        database.migrate();
        IndexerConfig config = IndexerConfig.of(harness.kafka.bootstrapServers(), harness.topic, db)
            .withGroupId("backend-kill").withMaxPollRecords(300).withMaxBackoff(Duration.ofMillis(500));
        // The model: per key, the event with the greatest sequencer decides.
        Map<String, ObjectEvent> newest = new HashMap<>();
        List<ObjectEvent> events = new ArrayList<>(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
          String key = "k" + random.nextInt(KEYS);
          ObjectEvent e = random.nextInt(10) < 7
              ? Harness.created("killed", key, i + 1, 1 + random.nextInt(1000))
              : Harness.removed("killed", key, i + 1, random.nextBoolean());
          events.add(e);
          newest.put(key, e);
          if (random.nextInt(10) == 0) {
            events.add(e);
          }
        }
        Map<String, Long> expected = new HashMap<>();
        newest.forEach((key, e) -> {
          if (e.kind() == ObjectEvent.Kind.CREATED) {
            expected.put(key, e.size());
          }
        });
        int kills = 0;
        try (Indexer indexer = Indexer.start(config, database)) {
          int chunk = events.size() / (KILLS * 3);
          for (int from = 0; from < events.size(); from += chunk) {
            harness.sendAll(events.subList(from, Math.min(events.size(), from + chunk)), e -> null);
            if (kills < KILLS && (from / chunk) % 3 == 1) {
              long applied = indexer.stats().records();
              Waits.until("the indexer commits some of this chunk", Duration.ofSeconds(60), () -> indexer.stats().records() > applied, indexer::describe);
              // A random instant while batches are being written.
              LockSupport.parkNanos(Duration.ofMillis(random.nextInt(150)).toNanos());
              if (killABackend(port)) {
                kills++;
              }
              awaitAcceptingConnections(port);
            }
          }
          Waits.until("the index equals the model", Duration.ofSeconds(120), () -> {
                try {
                  return live(database).equals(expected);
                } catch (RuntimeException e) {
                  return false;
                }
              }, () -> indexer.describe() + "; mismatched keys: " + mismatches(live(database), expected));
          assertThat(indexer.isRunning()).isTrue();
        }
        assertThat(kills).as("backends killed mid-ingest").isGreaterThanOrEqualTo(4);
      }
    }
  }

  /** SIGKILLs one client backend of the test's database; false if none was connected. */
  private static boolean killABackend(int port) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres",
        "postgres", "postgres"); Statement s = c.createStatement()) {
      ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = 'backend_kill' "
          + "AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1");
      if (!rs.next()) {
        return false;
      }
      return ProcessHandle.of(rs.getLong(1)).map(ProcessHandle::destroyForcibly).orElse(false);
    }
  }

  private static void awaitAcceptingConnections(int port) {
    await("PostgreSQL accepts connections after crash recovery").atMost(Duration.ofSeconds(60)).until(() -> {
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/backend_kill",
          "postgres", "postgres"); Statement s = c.createStatement()) {
        return s.executeQuery("SELECT 1").next();
      } catch (Exception e) {
        return false;
      }
    });
  }

  private static Map<String, Long> live(Database database) {
    return database.jdbi().withHandle(h -> h.createQuery(
            "SELECT key, size FROM objects WHERE bucket = 'killed' AND NOT deleted")
        .reduceRows(new HashMap<String, Long>(), (map, row) -> {
          map.put(row.getColumn("key", String.class), row.getColumn("size", Long.class));
          return map;
        }));
  }

  private static String mismatches(Map<String, Long> live, Map<String, Long> expected) {
    List<String> out = new ArrayList<>();
    expected.forEach((k, v) -> {
      if (!v.equals(live.get(k))) {
        out.add(k + " expected " + v + " got " + live.get(k));
      }
    });
    live.keySet().stream().filter(k -> !expected.containsKey(k)).forEach(k -> out.add(k + " should be gone"));
    return out.size() + " " + out.subList(0, Math.min(10, out.size()));
  }
}
