package io.s3index.indexer.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.testing.TestServers;
import io.s3index.shared.db.Database;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchWriterIT {

  private static Database database;
  private static BatchWriter writer;

  @BeforeAll
  static void start() {
    database = new Database(TestServers.postgres().createDatabase("batch_writer_it"), "test");
    database.migrate();
    writer = new BatchWriter(database.jdbi());
  }

  @AfterAll
  static void stop() {
    database.close();
  }

  private static ObjectEvent created(String bucket, String key, long sequence, long size) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, size, "etag" + sequence, null,
        seq(sequence), Instant.ofEpochSecond(1_700_000_000L + sequence), "ObjectCreated:Put");
  }

  private static ObjectEvent removed(String bucket, String key, long sequence) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.REMOVED, 0, null, null, seq(sequence),
        Instant.ofEpochSecond(1_700_000_000L + sequence), "ObjectRemoved:Delete");
  }

  private static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }

  /** Live objects of a bucket: key -> size. */
  private static Map<String, Long> live(String bucket) {
    return database.jdbi().withHandle(h -> h.createQuery(
            "SELECT key, size FROM objects WHERE bucket = :b AND NOT deleted")
        .bind("b", bucket)
        .reduceRows(new HashMap<String, Long>(), (map, row) -> {
          map.put(row.getColumn("key", String.class), row.getColumn("size", Long.class));
          return map;
        }));
  }

  @Test
  void aLateOlderCreateDoesNotResurrectADeletedObject() {
    writer.apply(List.of(created("resurrect", "k", 1, 10)));
    writer.apply(List.of(removed("resurrect", "k", 3)));
    ApplyResult late = writer.apply(List.of(created("resurrect", "k", 2, 20)));
    assertThat(late).isEqualTo(new ApplyResult(0, 1));
    assertThat(live("resurrect")).isEmpty();
    writer.apply(List.of(created("resurrect", "k", 4, 40)));
    assertThat(live("resurrect")).containsExactly(Map.entry("k", 40L));
  }

  @Test
  void aDeleteBeforeAnyCreateLeavesATombstone() {
    writer.apply(List.of(removed("tomb", "k", 5)));
    writer.apply(List.of(created("tomb", "k", 4, 1)));
    assertThat(live("tomb")).isEmpty();
    long tombstones = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM objects WHERE bucket = 'tomb' AND deleted").mapTo(Long.class).one());
    assertThat(tombstones).isEqualTo(1);
  }

  @Test
  void duplicatesInOneBatchAndAcrossBatchesAreHarmless() {
    ObjectEvent e = created("dups", "k", 7, 70);
    ApplyResult first = writer.apply(List.of(e, e, e));
    assertThat(first).isEqualTo(new ApplyResult(1, 2));
    assertThat(writer.apply(List.of(e))).isEqualTo(new ApplyResult(0, 1));
    assertThat(live("dups")).containsExactly(Map.entry("k", 70L));
  }

  /** Both upserts, the counted one and the one that queues enrichment, against the same model. */
  @Test
  void shuffledDuplicatedHistoriesEndInTheModelsState() {
    BatchWriter enriching = new BatchWriter(database.jdbi(), true);
    for (int run = 0; run < 50; run++) {
      int seed = run % 25;
      BatchWriter writer = run < 25 ? BatchWriterIT.writer : enriching;
      Random random = new Random(seed);
      String bucket = (run < 25 ? "history-" : "history-enriched-") + seed;
      List<ObjectEvent> history = new ArrayList<>();
      Map<String, ObjectEvent> newest = new HashMap<>();
      long sequence = 1;
      for (int k = 0; k < 40; k++) {
        String key = "key " + k + (k % 3 == 0 ? "/é+%" : "");
        int steps = 1 + random.nextInt(6);
        for (int s = 0; s < steps; s++) {
          ObjectEvent e = random.nextInt(4) == 0
              ? removed(bucket, key, sequence++) : created(bucket, key, sequence++, random.nextInt(1000));
          history.add(e);
          newest.put(key, e);
        }
      }
      List<ObjectEvent> delivered = new ArrayList<>(history);
      for (int d = 0; d < history.size() / 3; d++) {
        delivered.add(history.get(random.nextInt(history.size())));
      }
      Collections.shuffle(delivered, random);
      int i = 0;
      while (i < delivered.size()) {
        int n = 1 + random.nextInt(50);
        writer.apply(delivered.subList(i, Math.min(delivered.size(), i + n)));
        i += n;
      }
      Map<String, Long> expected = new HashMap<>();
      newest.forEach((key, e) -> {
        if (e.kind() == ObjectEvent.Kind.CREATED) {
          expected.put(key, e.size());
        }
      });
      assertThat(live(bucket)).as("seed %d, %s", seed, run < 25 ? "counted upsert" : "enriching upsert")
          .isEqualTo(expected);
    }
  }

  @Test
  void writesLargeBatchesInOneGo() {
    List<ObjectEvent> batch = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      batch.add(created("large", String.format(Locale.ROOT, "k%06d", i), i + 1, i));
    }
    assertThat(writer.apply(batch)).isEqualTo(new ApplyResult(20_000, 0));
    assertThat(live("large")).hasSize(20_000).containsEntry("k012345", 12_345L);
  }

  private static ObjectEvent version(String bucket, String key, long sequence, String versionId, long size) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, size, "etag" + sequence, versionId,
        seq(sequence), Instant.ofEpochSecond(1_700_000_000L + sequence), "ObjectCreated:Put");
  }

  private static ObjectEvent versionRemoved(String bucket, String key, long sequence, String versionId) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.VERSION_REMOVED, 0, null, versionId,
        seq(sequence), Instant.ofEpochSecond(1_700_000_000L + sequence), "ObjectRemoved:Delete");
  }

  @Test
  void removingAnOlderVersionLeavesTheCurrentOneListed() {
    writer.apply(List.of(version("versions", "k", 1, "v1", 10)));
    writer.apply(List.of(version("versions", "k", 2, "v2", 20)));
    assertThat(writer.apply(List.of(versionRemoved("versions", "k", 3, "v1")))).isEqualTo(new ApplyResult(0, 1));
    assertThat(live("versions")).containsExactly(Map.entry("k", 20L));
    String stored = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT version_id FROM objects WHERE bucket = 'versions' AND key = 'k'").mapTo(String.class).one());
    assertThat(stored).isEqualTo("v2");
  }

  @Test
  void removingTheCurrentVersionHidesTheKey() {
    writer.apply(List.of(version("versions-current", "k", 1, "v1", 10)));
    assertThat(writer.apply(List.of(versionRemoved("versions-current", "k", 2, "v1"))).applied()).isEqualTo(1);
    assertThat(live("versions-current")).isEmpty();
  }

  @Test
  void versionRemovalsInTheSameBatchAsNewerCreatesAreJudgedAfterThem() {
    // create v1, create v2, remove v1 -- all in one batch: v2 stays.
    writer.apply(List.of(version("versions-batch", "k", 1, "v1", 10),
        versionRemoved("versions-batch", "k", 3, "v1"), version("versions-batch", "k", 2, "v2", 20)));
    assertThat(live("versions-batch")).containsExactly(Map.entry("k", 20L));
    // Two removals of one key in one batch: the current version's removal applies.
    writer.apply(List.of(version("versions-batch", "j", 1, "v1", 10), version("versions-batch", "j", 2, "v2", 20),
        versionRemoved("versions-batch", "j", 4, "v1"), versionRemoved("versions-batch", "j", 3, "v2")));
    assertThat(live("versions-batch")).doesNotContainKey("j");
  }

  @Test
  void eventsThatDescribeTheObjectAreStoredAsIsAndOthersAwaitEnrichment() {
    BatchWriter enriching = new BatchWriter(database.jdbi(), true);
    ObjectEvent described = new ObjectEvent("described", "minio.pdf", ObjectEvent.Kind.CREATED, 5, "e",
        null, seq(1), Instant.ofEpochSecond(1_700_000_000L), "s3:ObjectCreated:Put", "application/pdf",
        Map.of("owner", "u42"));
    ObjectEvent bare = created("described", "aws.jpg", 2, 7);
    ApplyResult result = enriching.apply(List.of(described, bare));
    assertThat(result.applied()).isEqualTo(2);
    assertThat(result.queued()).isEqualTo(1);
    assertThat(queued("described")).containsExactly("aws.jpg");
    Map<String, Object> row = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT content_type, metadata->>'owner' AS owner FROM objects "
            + "WHERE bucket = 'described' AND key = 'minio.pdf'").mapToMap().one());
    assertThat(row).containsEntry("content_type", "application/pdf").containsEntry("owner", "u42");
    assertThat(new BatchWriter(database.jdbi(), false).apply(List.of(created("described", "plain", 3, 1)))
        .queued()).isZero();
    // A newer version of a queued key replaces its queue row; a described one drops out at claim time.
    assertThat(enriching.apply(List.of(created("described", "aws.jpg", 4, 8))).queued()).isEqualTo(1);
    String queuedVersion = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT sequencer FROM enrichment_queue WHERE bucket = 'described' AND key = 'aws.jpg'")
        .mapTo(String.class).one());
    assertThat(queuedVersion).isEqualTo(seq(4));
  }

  /** Text PostgreSQL cannot compress below a B-tree entry's limit. */
  private static String incompressible(int length) {
    java.util.Random random = new java.util.Random(length);
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append((char) ('a' + random.nextInt(26)));
    }
    return s.toString();
  }

  private static List<String> queued(String bucket) {
    return database.jdbi().withHandle(h -> h.createQuery(
        "SELECT key FROM enrichment_queue WHERE bucket = :b ORDER BY key").bind("b", bucket)
        .mapTo(String.class).list());
  }

  private static BatchWriter.Batch batch(String group, List<ObjectEvent> events, long next,
      Map<Integer, Long> expected) {
    return new BatchWriter.Batch(group, events,
        List.of(new PartitionProgress(group, "t", 0, next, null)), expected, List.of(),
        i -> new DeadLetter("t", 0, 100 + i, null, ("event " + i).getBytes(), ""));
  }

  @Test
  void recordsTheDatabaseRefusesAreDeadLetteredAndTheRestApplied() {
    List<ObjectEvent> events = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      events.add(created("refused", "k" + i, i + 1, i));
    }
    // Values the parser would refuse, built past it: the database refuses them for their one row.
    events.set(7, new ObjectEvent("refused", "k7", ObjectEvent.Kind.CREATED, 7, "bad\u0000etag", null,
        seq(8), Instant.ofEpochSecond(1_700_000_000L), "ObjectCreated:Put"));
    events.set(31, new ObjectEvent("refused", "k31", ObjectEvent.Kind.CREATED, 31, null, null, seq(32),
        Instant.ofEpochSecond(1_700_000_000L), "ObjectCreated:Put", "x/" + incompressible(3000), null));
    BatchWriter.Written written = writer.write(batch("refusing", events, 140, Map.of()));
    assertThat(written.result().applied()).isEqualTo(38);
    assertThat(written.deadLetters()).extracting(DeadLetter::offset).containsExactly(107L, 131L);
    assertThat(written.deadLetters()).allSatisfy(d -> assertThat(d.error()).startsWith("refused by the database: SQLSTATE"));
    assertThat(live("refused")).hasSize(38).doesNotContainKeys("k7", "k31");
    long stored = database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM dead_letters WHERE consumer_group = 'refusing' AND sent_at IS NULL")
        .mapTo(Long.class).one());
    assertThat(stored).isEqualTo(2);
    assertThat(writer.storedOffsets("refusing", "t")).containsEntry(0, 140L);
  }

  @Test
  void aBatchReadFromAnotherPositionThanTheStoredOneIsNotWritten() {
    writer.write(batch("moved", List.of(created("moved", "a", 1, 1)), 10, Map.of()));
    // The consumer believes 20 is stored (as if the database had lost its last commit).
    assertThatThrownBy(() -> writer.write(batch("moved", List.of(created("moved", "b", 2, 1)), 30, Map.of(0, 20L))))
        .isInstanceOf(OffsetsMovedException.class)
        .satisfies(e -> assertThat(((OffsetsMovedException) e).stored()).containsEntry(0, 10L));
    assertThat(live("moved")).containsOnlyKeys("a");
    // Believing no row where there is one is refused the same way.
    assertThatThrownBy(() -> writer.write(batch("moved", List.of(created("moved", "b", 2, 1)), 30, Map.of())))
        .isInstanceOf(OffsetsMovedException.class);
    writer.write(batch("moved", List.of(created("moved", "b", 2, 1)), 30, Map.of(0, 10L)));
    assertThat(live("moved")).containsOnlyKeys("a", "b");
  }
}
