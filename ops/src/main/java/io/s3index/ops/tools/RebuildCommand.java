package io.s3index.ops.tools;

import io.s3index.indexer.apply.ApplyResult;
import io.s3index.indexer.apply.BatchWriter;
import io.s3index.shared.db.Database;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.InvalidEventException;
import io.s3index.shared.events.ObjectEvent;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jdbi.v3.core.Handle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ops rebuild}: replays the events topic from its beginning into a shadow table, catches
 * up, and swaps it in atomically.
 *
 * <p>The bulk of the topic is loaded set-wise: events are copied into an unlogged staging table,
 * reduced to the newest per (bucket, key) (version removals then applied in sequencer order)
 * into a shadow without indexes, and the shadow's indexes are built once afterwards. The reduce
 * (split into parts by key) and the index builds run on {@code --jobs} connections at a time.
 * What arrives after that goes through the live writer's upsert.
 *
 * <p>The swap pauses the live indexer for a moment (by locking its progress table, which every
 * indexer batch writes first), replays exactly up to the offsets the live indexer had applied,
 * and renames the tables in that one transaction. So after the swap the live indexer continues
 * from its own offsets into the rebuilt table: no event lost, none applied twice. The query API
 * reads the old table until the rename and the new one after it, waiting at most for the rename
 * itself. Killing the rebuild at any point leaves the live index untouched; running it again
 * starts over.
 *
 * <p>In the swap's transaction, before the rename, the rebuilt rows get what the topic does not
 * hold ({@code s3index_rebuild_carry_over}): enrichment and the change stamps of rows that read
 * the same, rows from backfill and reconcile --fix, tombstones. Live rows whose events left the
 * topic would be dropped: the rebuild counts them and stops unless {@code --allow-drop}.
 */
@Command(name = "rebuild", mixinStandardHelpOptions = true,
    description = {
        "Replay the events topic from its beginning into a shadow table, catch up with the live",
        "indexer, and swap the shadow in atomically. The API keeps serving the old index until the",
        "swap; afterwards the live indexer goes on from its own offsets. Safe to kill and rerun.",
        "Carries over what the topic does not hold (backfilled and repaired rows, enrichment, the",
        "change stamps of unchanged rows); stops before the swap if the rebuilt index would drop",
        "live objects whose events left the topic, unless --allow-drop."})
public final class RebuildCommand implements Callable<Integer> {

  private static final long ADVISORY_LOCK = 0x5331_4E44_5242L;

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Option(names = "--catch-up-lag", defaultValue = "2000",
      description = "swap once the shadow is within this many events of the topic's end (default: ${DEFAULT-VALUE})")
  long catchUpLag;

  @Option(names = "--jobs", defaultValue = "2",
      description = "connections that reduce and index the bulk at once; up to the database server's cores (default: ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--allow-drop",
      description = "swap even if the rebuilt index lacks live objects of the old one whose events the topic no longer holds")
  boolean allowDrop;

  private final EventParser parser = new EventParser();

  /** The rebuild stops before its swap: the rebuilt index would drop live objects. */
  static final class WouldDropException extends IllegalStateException {
    WouldDropException(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (jobs < 1 || jobs > 64) {
      throw new IllegalArgumentException("--jobs must be between 1 and 64, not " + jobs);
    }
    String topic = connections.topic();
    try (Database database = connections.openDatabase();
         Handle guard = database.jdbi().open();
         KafkaConsumer<String, byte[]> consumer = consumer()) {
      if (!guard.createQuery("SELECT pg_try_advisory_lock(:k)").bind("k", ADVISORY_LOCK).mapTo(Boolean.class).one()) {
        throw new IllegalStateException("another rebuild is running against this database");
      }
      List<TopicPartition> partitions = partitions(consumer, topic);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions, Duration.ofSeconds(10));
      Map<TopicPartition, Long> positions = new HashMap<>(start);

      database.jdbi().useHandle(h -> h.execute("CALL s3index_rebuild_prepare()"));
      BatchWriter writer = new BatchWriter(database.jdbi(), false, BatchWriter.Target.REBUILD);
      long began = System.nanoTime();
      long[] replayed = {0};
      long total = lag(consumer, partitions, positions);
      out.printf(Locale.ROOT, "rebuilding from %s (%,d events, %d partitions) into a shadow table%n", topic, total, partitions.size());
      Progress progress = new Progress(out, "replayed", total);

      // The bulk of the topic, until close to its end: copied into staging, then reduced and
      // indexed in one go.
      try (StagingCopier copier = new StagingCopier(database.jdbi())) {
        while (lag(consumer, partitions, positions) > catchUpLag) {
          copier.copy(poll(consumer, positions, null, replayed));
          progress.update(replayed[0]);
        }
        copier.finish();
      }
      long loading = System.nanoTime();
      List<String> parts = new ArrayList<>();
      for (int part = 0; part < jobs; part++) {
        parts.add("CALL s3index_rebuild_load_part(" + part + ", " + jobs + ")");
      }
      Concurrently.run(database.config(), "SET work_mem = '256MB'", parts, jobs);
      long indexing = System.nanoTime();
      List<String> builds = database.jdbi().withHandle(h -> h.createQuery(
          "SELECT s3index_rebuild_index_statements()").mapTo(String.class).list());
      Concurrently.run(database.config(), "SET maintenance_work_mem = '256MB'", builds, jobs);
      database.jdbi().useHandle(h -> h.execute("CALL s3index_rebuild_attach_primary_key()"));
      long removing = System.nanoTime();
      int removals = applyStagedRemovals(database, writer);
      database.jdbi().useHandle(h -> h.execute("DROP TABLE objects_rebuild_events"));
      out.printf(Locale.ROOT, "reduced to the newest event per key in %.1f s, indexed in %.1f s, "
          + "%,d version removals applied in %.1f s%n", (indexing - loading) / 1e9, (removing - indexing) / 1e9,
          removals, (System.nanoTime() - removing) / 1e9);

      // What arrived meanwhile, through the live writer's upsert.
      while (lag(consumer, partitions, positions) > catchUpLag) {
        replay(consumer, writer, positions, null, replayed);
        progress.update(replayed[0]);
      }

      // Pause the live indexer, replay up to exactly where it is, carry over what the topic does
      // not hold, swap.
      long paused = swap(database, consumer, writer, partitions, positions, replayed, out);
      progress.finish(replayed[0]);
      double seconds = (System.nanoTime() - began) / 1e9;
      database.jdbi().useHandle(h -> h.execute("DROP TABLE IF EXISTS objects_retired"));
      long rows = database.jdbi().withHandle(h -> h.createQuery(
          "SELECT count(*) FROM objects WHERE NOT deleted").mapTo(Long.class).one());
      out.printf(Locale.ROOT, "rebuilt: %,d events replayed in %.1f s (%,.0f events/s); %,d live objects; "
          + "the live indexer paused %d ms for the swap%n", replayed[0], seconds, replayed[0] / seconds, rows, paused);
    }
    return 0;
  }

  private KafkaConsumer<String, byte[]> consumer() {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connections.bootstrapServers());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "s3index-rebuild");
    return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
  }

  private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String topic) {
    List<PartitionInfo> infos;
    try {
      infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new IllegalStateException("cannot reach Kafka at " + connections.bootstrapServers());
    }
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException("topic " + topic + " does not exist at " + connections.bootstrapServers());
    }
    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private static long lag(KafkaConsumer<String, byte[]> consumer, List<TopicPartition> partitions,
      Map<TopicPartition, Long> positions) {
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(10));
    long lag = 0;
    for (TopicPartition p : partitions) {
      lag += Math.max(0, ends.get(p) - positions.get(p));
    }
    return lag;
  }

  /**
   * Polls once and applies what it got to the shadow; with {@code limits}, only records below
   * each partition's limit (the rest is left for the live indexer).
   */
  private void replay(KafkaConsumer<String, byte[]> consumer, BatchWriter writer,
      Map<TopicPartition, Long> positions, Map<TopicPartition, Long> limits, long[] replayed) {
    ApplyResult ignored = writer.apply(poll(consumer, positions, limits, replayed));
  }

  /**
   * Polls once and parses what it got, advancing {@code positions}; with {@code limits}, only
   * records below each partition's limit, and the consumer is rewound to them.
   */
  private List<ObjectEvent> poll(KafkaConsumer<String, byte[]> consumer,
      Map<TopicPartition, Long> positions, Map<TopicPartition, Long> limits, long[] replayed) {
    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
    List<ObjectEvent> events = new ArrayList<>(records.count());
    for (TopicPartition partition : records.partitions()) {
      for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
        if (limits != null && record.offset() >= limits.get(partition)) {
          break;
        }
        try {
          events.addAll(parser.parse(record.value()).events());
        } catch (InvalidEventException e) {
          // The live indexer dead-lettered it already; a rebuild only skips it.
        }
        positions.put(partition, record.offset() + 1);
        replayed[0]++;
      }
    }
    if (limits != null) {
      for (TopicPartition partition : records.partitions()) {
        consumer.seek(partition, positions.get(partition));
      }
    }
    return events;
  }

  /**
   * Applies the staged permanent removals of single versions to the loaded shadow, oldest
   * first, through the live writer (each is judged against the row it finds); returns how many.
   */
  private static int applyStagedRemovals(Database database, BatchWriter writer) {
    record Staged(long ord, ObjectEvent event) {}
    int applied = 0;
    Staged last = new Staged(-1, null);
    while (true) {
      Staged after = last;
      List<Staged> rows = database.jdbi().withHandle(h -> h.createQuery("""
              SELECT ord, bucket, key, version_id, sequencer, event_time
              FROM objects_rebuild_events
              WHERE removal AND (sequencer, ord) > (:sequencer, :ord)
              ORDER BY sequencer, ord LIMIT 10000""")
          .bind("sequencer", after.event() == null ? "" : after.event().sequencer()).bind("ord", after.ord())
          .map((rs, c) -> new Staged(rs.getLong(1), new ObjectEvent(rs.getString(2), rs.getString(3),
              ObjectEvent.Kind.VERSION_REMOVED, 0, null, rs.getString(4), rs.getString(5),
              rs.getObject(6, java.time.OffsetDateTime.class).toInstant(), "ObjectRemoved:Delete", null, null)))
          .list());
      if (rows.isEmpty()) {
        return applied;
      }
      ApplyResult ignored = writer.apply(rows.stream().map(Staged::event).toList());
      applied += rows.size();
      last = rows.get(rows.size() - 1);
    }
  }


  /** Pauses the live indexer, replays to its offsets, swaps; returns how long it was paused (ms). */
  private long swap(Database database, KafkaConsumer<String, byte[]> consumer, BatchWriter writer,
      List<TopicPartition> partitions, Map<TopicPartition, Long> positions, long[] replayed,
      PrintWriter out) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= 5; attempt++) {
      try (Handle swap = database.jdbi().open()) {
        swap.begin();
        long pausedAt = System.nanoTime();
        swap.execute("SET LOCAL lock_timeout = '10s'");
        swap.execute("LOCK TABLE indexer_progress IN EXCLUSIVE MODE");
        // Writers other than the indexer (the enricher, backfill, reconcile --fix) wait too, so
        // nothing they write to the old table falls between the carry-over and the rename; the
        // API's reads go on. A statement that waited here finds the new table after the rename.
        swap.execute("LOCK TABLE objects IN SHARE MODE");
        Map<Integer, Long> live = new HashMap<>();
        swap.createQuery("SELECT partition, next_offset FROM indexer_progress WHERE consumer_group = :g AND topic = :t")
            .bind("g", connections.group()).bind("t", connections.topic())
            .map((rs, c) -> live.put(rs.getInt(1), rs.getLong(2))).list();
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(10));
        Map<TopicPartition, Long> limits = new HashMap<>();
        for (TopicPartition p : partitions) {
          // Where the live indexer stands; a partition it never wrote gets everything there is
          // (it will re-read that partition from its own start, harmlessly).
          limits.put(p, live.getOrDefault(p.partition(), ends.get(p)));
        }
        while (partitions.stream().anyMatch(p -> positions.get(p) < limits.get(p))) {
          replay(consumer, writer, positions, limits, replayed);
        }
        refuseDrops(swap, out);
        swap.execute("CALL s3index_rebuild_carry_over()");
        swap.execute("CALL s3index_rebuild_swap()");
        swap.commit();
        long paused = (System.nanoTime() - pausedAt) / 1_000_000;
        out.printf(Locale.ROOT, "swapped in the rebuilt index at offsets %s%n", limits.values());
        return paused;
      } catch (WouldDropException e) {
        throw e;
      } catch (RuntimeException e) {
        last = e;
        out.printf(Locale.ROOT, "swap attempt %d did not get its locks (%s); retrying%n", attempt, e.getMessage());
        // The shadow may hold events past the live indexer's offsets: harmless, they re-apply as stale.
      }
    }
    throw new IllegalStateException("could not swap in the rebuilt index: " + last.getMessage());
  }

  /**
   * Counts the live objects of the old index, written by events, that the rebuilt one lacks (their
   * events are no longer in the topic) and reports them; stops unless {@code --allow-drop}.
   */
  private void refuseDrops(Handle swap, PrintWriter out) {
    record Drops(long count, String[] sample) {}
    Drops drops = swap.createQuery("SELECT dropped, sample FROM s3index_rebuild_drops()")
        .map((rs, ctx) -> new Drops(rs.getLong(1),
            rs.getArray(2) == null ? new String[0] : (String[]) rs.getArray(2).getArray()))
        .one();
    if (drops.count() == 0) {
      return;
    }
    String what = String.format(Locale.ROOT, "%,d live object(s) of the index are not in the topic any more "
        + "(their events aged out of retention), e.g. %s", drops.count(), String.join(", ", drops.sample()));
    if (!allowDrop) {
      throw new WouldDropException("rebuild stopped before its swap, the index unchanged: " + what
          + "; run ops backfill or ops reconcile --fix for their buckets first, or rerun with --allow-drop to drop them");
    }
    out.printf(Locale.ROOT, "dropping %s (--allow-drop)%n", what);
  }
}
