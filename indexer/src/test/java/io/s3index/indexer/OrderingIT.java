package io.s3index.indexer;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.shared.events.ObjectEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random histories per key (creates, overwrites, deletes, delete markers), published duplicated
 * and shuffled across partitions, end in the model's state; over many seeds.
 */
class OrderingIT {

  private static Harness harness;
  private static Indexer indexer;

  @BeforeAll
  static void start() {
    harness = new Harness("ordering", 4);
    indexer = Indexer.start(harness.config("ordering").withMaxPollRecords(137), harness.database);
  }

  @AfterAll
  static void stop() {
    indexer.close();
    harness.close();
  }

  @Test
  void shuffledDuplicatedHistoriesAcrossPartitionsEndInTheModelsState() {
    Map<String, Map<String, Long>> expectedByBucket = new HashMap<>();
    List<ObjectEvent> all = new ArrayList<>();
    Random random = new Random(2024);
    for (int seed = 0; seed < 40; seed++) {
      Random r = new Random(seed);
      String bucket = "seed-" + seed;
      Map<String, Long> expected = new HashMap<>();
      long sequence = 1;
      for (int k = 0; k < 25; k++) {
        String key = "k" + k + (k % 5 == 0 ? "/é %+" : "");
        ObjectEvent last = null;
        for (int step = 0, n = 1 + r.nextInt(6); step < n; step++) {
          int op = r.nextInt(10);
          last = op < 6 ? Harness.created(bucket, key, sequence++, r.nextInt(10_000))
              : Harness.removed(bucket, key, sequence++, op >= 8);
          all.add(last);
        }
        if (last.kind() == ObjectEvent.Kind.CREATED) {
          expected.put(key, last.size());
        }
      }
      expectedByBucket.put(bucket, expected);
    }
    List<ObjectEvent> delivered = new ArrayList<>(all);
    for (int i = 0; i < all.size() / 2; i++) {
      delivered.add(all.get(random.nextInt(all.size())));
    }
    Collections.shuffle(delivered, random);
    harness.sendAll(delivered, e -> random.nextInt(4));

    expectedByBucket.forEach((bucket, expected) -> harness.awaitLive(bucket, expected, Duration.ofSeconds(90)));
    await("every message committed").atMost(Duration.ofSeconds(30)).until(() -> indexer.stats().records() == delivered.size());
    assertThat(indexer.stats().stale()).isGreaterThan(0);
    assertThat(indexer.stats().applied() + indexer.stats().stale()).isEqualTo(delivered.size());
  }
}
