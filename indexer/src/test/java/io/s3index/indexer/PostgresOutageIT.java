package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import io.s3index.embedded.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.ObjectEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PostgreSQL stops mid-stream and comes back: the indexer pauses, retries and loses nothing. */
class PostgresOutageIT {

  @Test
  void theIndexerRecoversAloneWhenTheDatabaseComesBack() throws Exception {
    int port = FreePorts.loopback();
    Path data = Files.createTempDirectory("outage-pg");
    try (Harness harness = new Harness("pg-outage", 2)) {
      EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(port, data);
      DatabaseConfig db = postgres.createDatabase("outage");
      try (Database database = new Database(db, "outage")) {
        IndexerConfig config = IndexerConfig.of(harness.kafka.bootstrapServers(), harness.topic, db)
            .withGroupId("outage");
        try (Indexer indexer = Indexer.start(config, database)) {
          Map<String, Long> expected = new HashMap<>();
          List<ObjectEvent> first = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            first.add(Harness.created("outage", "before-" + i, i + 1, i));
            expected.put("before-" + i, (long) i);
          }
          harness.sendAll(first, e -> null);
          await("the first events are indexed").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().records() >= 500);

          postgres.close();
          List<ObjectEvent> during = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            during.add(Harness.created("outage", "during-" + i, 1000 + i, i));
            expected.put("during-" + i, (long) i);
          }
          harness.sendAll(during, e -> null);
          await("the indexer notices the outage").atMost(Duration.ofSeconds(60)).until(() -> indexer.stats().failedBatches() > 0);
          assertThat(indexer.stats().records()).isEqualTo(500);
          // What a stuck indexer reports: the failed attempts and why the last one failed.
          assertThat(indexer.stats().lastFailure()).isNotBlank();
          assertThat(indexer.describe()).contains("500 records", "failed attempts, the last: ");

          postgres = EmbeddedPostgresServer.start(port, data);
          await("everything is indexed after the outage").atMost(Duration.ofSeconds(90)).until(() -> indexer.stats().records() >= 1000);
          assertThat(indexer.isRunning()).isTrue();
          Map<String, Long> live = database.jdbi().withHandle(h -> h.createQuery(
                  "SELECT key, size FROM objects WHERE bucket = 'outage' AND NOT deleted")
              .reduceRows(new HashMap<String, Long>(), (map, row) -> {
                map.put(row.getColumn("key", String.class), row.getColumn("size", Long.class));
                return map;
              }));
          assertThat(live).isEqualTo(expected);
        }
      } finally {
        postgres.close();
      }
    }
  }
}
