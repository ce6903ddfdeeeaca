package io.s3index.indexer;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.shared.events.ObjectEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The indexer runs as a child process and is killed with SIGKILL at random instants while events
 * flow, then restarted; the index must end equal to the model, nothing lost, nothing regressed.
 */
class CrashIT {

  private static Process startIndexer(Harness harness, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        IndexerMain.class.getName());
    Map<String, String> env = pb.environment();
    env.put("S3INDEX_KAFKA_BOOTSTRAP_SERVERS", harness.kafka.bootstrapServers());
    env.put("S3INDEX_TOPIC", harness.topic);
    env.put("S3INDEX_GROUP_ID", "crash");
    env.put("S3INDEX_DB_URL", harness.db.jdbcUrl());
    env.put("S3INDEX_DB_USER", harness.db.user());
    env.put("S3INDEX_DB_PASSWORD", harness.db.password());
    env.put("S3INDEX_MAX_POLL_RECORDS", "25");
    env.put("S3INDEX_MAX_BACKOFF", "1s");
    env.put("S3INDEX_INDEXER_METRICS_PORT", "-1");
    // Static membership: a restarted instance takes its partitions back at once instead of
    // waiting out the killed one's session, as a restarted pod would.
    env.put("S3INDEX_KAFKA_CONSUMER_GROUP_INSTANCE_ID", "crash-indexer");
    env.put("S3INDEX_KAFKA_CONSUMER_SESSION_TIMEOUT_MS", "10000");
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }

  private static long committed(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT coalesce(sum(next_offset), 0) FROM indexer_progress WHERE consumer_group = 'crash'")
        .mapTo(Long.class).one());
  }

  @Test
  void killedAtRandomInstantsItLosesAndRegressesNothing() throws Exception {
    try (Harness harness = new Harness("crash", 3)) {
      Random random = new Random(77);
      String bucket = "crash";
      Map<String, Long> expected = new HashMap<>();
      List<ObjectEvent> events = new ArrayList<>();
      long sequence = 1;
      for (int round = 0; round < 8; round++) {
        for (int k = 0; k < 500; k++) {
          String key = "key-" + k;
          ObjectEvent e = random.nextInt(5) == 0
              ? Harness.removed(bucket, key, sequence++, false)
              : Harness.created(bucket, key, sequence++, random.nextInt(1_000_000));
          events.add(e);
          if (e.kind() == ObjectEvent.Kind.CREATED) {
            expected.put(key, e.size());
          } else {
            expected.remove(key);
          }
        }
      }
      // Events flow the whole time: a steady stream from another thread.
      AtomicReference<Throwable> publishFailure = new AtomicReference<>();
      Thread publisher = new Thread(() -> {
        try {
          // About 25 s of traffic: several indexer lifetimes.
          for (int i = 0; i < events.size(); i += 40) {
            harness.sendAll(events.subList(i, Math.min(events.size(), i + 40)), e -> null);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
          }
        } catch (Throwable t) {
          publishFailure.set(t);
        }
      }, "crash-publisher");
      publisher.start();

      Path log = Files.createTempFile("crash-indexer", ".log");
      int kills = 0;
      int killedWhileProgressing = 0;
      while (publisher.isAlive() || kills < 6) {
        long before = committed(harness);
        Process child = startIndexer(harness, log);
        boolean exited = child.waitFor(2000 + random.nextInt(2500), TimeUnit.MILLISECONDS);
        assertThat(exited).as("the indexer child keeps running until killed; log: %s", log).isFalse();
        child.destroyForcibly().waitFor();
        kills++;
        if (committed(harness) > before) {
          killedWhileProgressing++;
        }
      }
      publisher.join();
      assertThat(publishFailure.get()).isNull();

      Process last = startIndexer(harness, log);
      try {
        harness.awaitLive(bucket, expected, Duration.ofSeconds(120));
      } finally {
        last.destroy();
        last.waitFor(30, TimeUnit.SECONDS);
      }
      System.out.printf("CrashIT: %d SIGKILLs, %d of them while the indexer was committing%n",
          kills, killedWhileProgressing);
      assertThat(kills).isGreaterThanOrEqualTo(6);
      assertThat(killedWhileProgressing).as("kills that interrupted a working indexer")
          .isGreaterThanOrEqualTo(kills / 2);
      Files.deleteIfExists(log);
    }
  }
}
