package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The indexer runs as a child process and is killed with SIGKILL at random instants while events
 * flow, then restarted; the index must end equal to the model, nothing lost, nothing regressed.
 */
class CrashIT {

  private static final int KILLS = 6;

  private static Process startIndexer(Harness harness, Path log) throws Exception {
    return harness.indexerProcess("256m", Map.of(
        "S3INDEX_GROUP_ID", "crash",
        "S3INDEX_MAX_POLL_RECORDS", "25",
        "S3INDEX_MAX_BACKOFF", "1s",
        // Static membership: a restarted instance takes its partitions back at once instead of
        // waiting out the killed one's session, as a restarted pod would.
        "S3INDEX_KAFKA_CONSUMER_GROUP_INSTANCE_ID", "crash-indexer",
        "S3INDEX_KAFKA_CONSUMER_SESSION_TIMEOUT_MS", "10000"))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
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
      // Events flow the whole time, from another thread, until the last kill: the test takes as
      // long as the machine needs for the kills, however slowly the children start.
      Map<String, Long> expected = new HashMap<>();
      AtomicBoolean publishing = new AtomicBoolean(true);
      AtomicReference<Throwable> publishFailure = new AtomicReference<>();
      Thread publisher = new Thread(() -> {
        Random keys = new Random(78);
        long sequence = 1;
        try {
          while (publishing.get()) {
            List<ObjectEvent> batch = new ArrayList<>(40);
            for (int i = 0; i < 40; i++) {
              String key = "key-" + keys.nextInt(500);
              ObjectEvent e = keys.nextInt(5) == 0
                  ? Harness.removed(bucket, key, sequence++, false)
                  : Harness.created(bucket, key, sequence++, keys.nextInt(1_000_000));
              batch.add(e);
              if (e.kind() == ObjectEvent.Kind.CREATED) {
                expected.put(key, e.size());
              } else {
                expected.remove(key);
              }
            }
            harness.sendAll(batch, e -> null);
            LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
          }
        } catch (Throwable t) {
          publishFailure.set(t);
        }
      }, "crash-publisher");
      publisher.start();

      Path log = Files.createTempFile("crash-indexer", ".log");
      int kills = 0;
      int killedWhileProgressing = 0;
      try {
        while (kills < KILLS) {
          Process child = startIndexer(harness, log);
          // Kill at a random instant once this child is working: it has committed a batch.
          long started = committed(harness);
          await("indexer child " + (kills + 1) + " commits a batch (log: " + log + ")").atMost(Duration.ofSeconds(90)).until(() -> !child.isAlive() || committed(harness) > started);
          assertThat(child.isAlive()).as("the indexer child keeps running until killed; log: %s", log).isTrue();
          long working = committed(harness);
          LockSupport.parkNanos(Duration.ofMillis(300 + random.nextInt(1700)).toNanos());
          child.destroyForcibly().waitFor();
          kills++;
          if (committed(harness) > working) {
            killedWhileProgressing++;
          }
        }
      } finally {
        publishing.set(false);
        publisher.join();
      }
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
      assertThat(killedWhileProgressing).as("kills that interrupted an indexer still committing")
          .isGreaterThanOrEqualTo(KILLS / 2);
      Files.deleteIfExists(log);
    }
  }
}
