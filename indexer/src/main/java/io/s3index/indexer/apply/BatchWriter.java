package io.s3index.indexer.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.shared.events.ObjectEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;
import io.s3index.shared.failure.Failures;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.jdbi.v3.core.statement.SqlStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies batches of object events to the index, set-wise: the batch is reduced to the newest
 * event per (bucket, key), written with one multi-row upsert whose sequencer guard keeps older
 * events from overwriting newer state, then permanent removals of single versions are applied
 * (usually one more statement). Knows nothing of Kafka.
 *
 * <p>Idempotent and order-free: applying the same events again, in any order or grouping, leaves
 * the same index (the guard compares sequencers, never arrival). That is what lets {@link #write}
 * apply a batch in parts when the database refuses one of its records. Thread-safe. Database
 * failures propagate as Jdbi exceptions; nothing is half-written (one transaction).
 */
public final class BatchWriter {

  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);
  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String UPSERT = SQL.locate(BatchWriter.class, "upsert-objects");
  private static final String UPSERT_AND_QUEUE = SQL.locate(BatchWriter.class, "upsert-objects-enrich");
  private static final String REMOVE_VERSIONS = SQL.locate(BatchWriter.class, "remove-versions");
  private static final String PROGRESS = SQL.locate(BatchWriter.class, "record-progress");
  private static final String CHECK_PROGRESS = SQL.locate(BatchWriter.class, "check-progress");
  private static final String LOAD_PROGRESS = SQL.locate(BatchWriter.class, "load-progress");
  private static final String DEAD_LETTER = SQL.locate(BatchWriter.class, "insert-dead-letter");
  private static final String REGISTER_BUCKETS = SQL.locate(BatchWriter.class, "register-buckets");
  private static final String QUEUE_TAGGED = SQL.locate(BatchWriter.class, "queue-tagged");

  /** The table a writer fills: the live index, or the shadow {@code ops rebuild} replays into. */
  public enum Target {
    LIVE("objects"),
    REBUILD("objects_rebuild");

    private final String table;

    Target(String table) {
      this.table = table;
    }

    /** The table name, defined as {@code <table>} in the upsert and removal statements. */
    String table() {
      return table;
    }
  }

  /**
   * One consumer batch to write in one transaction.
   *
   * @param consumerGroup whose progress and dead letters these are
   * @param events the events parsed from the batch's messages
   * @param progress how far the batch advances each of its partitions
   * @param expectedOffsets the next offset per partition the consumer believes the database holds
   *     (a partition it believes has no row is absent); the batch is refused with {@link
   *     OffsetsMovedException} when the database holds anything else for one of its partitions
   * @param deadLetters messages the parser refused
   * @param sourceOf the message an event came from, as a dead letter, for records the database
   *     refuses
   */
  public record Batch(String consumerGroup, List<ObjectEvent> events, List<PartitionProgress> progress,
      Map<Integer, Long> expectedOffsets, List<DeadLetter> deadLetters, IntFunction<DeadLetter> sourceOf) {

    public Batch {
      Objects.requireNonNull(consumerGroup, "consumerGroup");
      events = List.copyOf(events);
      progress = List.copyOf(progress);
      expectedOffsets = Map.copyOf(expectedOffsets);
      deadLetters = List.copyOf(deadLetters);
      Objects.requireNonNull(sourceOf, "sourceOf");
    }
  }

  /** What a batch's transaction committed: its effect on the index and the dead letters it stored. */
  public record Written(ApplyResult result, List<DeadLetter> deadLetters) {

    public Written {
      deadLetters = List.copyOf(deadLetters);
    }
  }

  private final Jdbi jdbi;
  private final String upsertSql;
  private final String table;
  private final boolean enrichment;
  private final boolean enrichTags;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** @param enrichment whether creates that carry no content type or metadata are queued for HeadObject */
  public BatchWriter(Jdbi jdbi, boolean enrichment) {
    this(jdbi, enrichment, false, Target.LIVE);
  }

  public BatchWriter(Jdbi jdbi, boolean enrichment, Target target) {
    this(jdbi, enrichment, false, target);
  }

  /**
   * @param enrichTags whether enrichment also asks for tags: creates that carry no tags are queued
   *     too, and so are objects named by tagging events (which are otherwise ignored)
   */
  public BatchWriter(Jdbi jdbi, boolean enrichment, boolean enrichTags, Target target) {
    if (enrichment && target != Target.LIVE) {
      throw new IllegalArgumentException("only the live index queues enrichment");
    }
    if (enrichTags && !enrichment) {
      throw new IllegalArgumentException("tag enrichment is part of enrichment");
    }
    this.jdbi = jdbi;
    this.enrichment = enrichment;
    this.enrichTags = enrichTags;
    this.upsertSql = enrichment ? UPSERT_AND_QUEUE : UPSERT;
    this.table = target.table();
  }

  public BatchWriter(Jdbi jdbi) {
    this(jdbi, false);
  }

  /** Writes the events in one transaction and says how many changed the index. */
  public ApplyResult apply(List<ObjectEvent> events) {
    return apply(events, List.of());
  }

  /**
   * Writes the events and the progress of the partitions they came from in one transaction, so
   * the progress rows never claim more than what is written.
   */
  public ApplyResult apply(List<ObjectEvent> events, List<PartitionProgress> progress) {
    if (events.isEmpty() && progress.isEmpty()) {
      return ApplyResult.EMPTY;
    }
    return jdbi.inTransaction(handle -> {
      // Progress first: ops rebuild pauses writers by locking the progress table, and a writer
      // must not hold row locks on the objects table while it waits there.
      if (!progress.isEmpty()) {
        recordProgress(handle, progress);
      }
      return applyEvents(handle, events);
    });
  }

  /**
   * Writes a consumer batch in one transaction: checks that the database holds the offsets the
   * consumer expects, applies the events, stores the dead letters in the outbox, and advances
   * the progress rows.
   *
   * <p>When the database refuses a record (a {@link Failures.Kind#DATA} error), the transaction is
   * rolled back and run again applying the events in halves under savepoints, down to the single
   * events it refuses: each of those is dead-lettered (as its source message, via {@link
   * Batch#sourceOf()}) and everything else is applied. Applying in parts gives the same index as
   * applying at once, since the writer is order-free.
   *
   * @throws OffsetsMovedException if the database holds other offsets than expected
   */
  public Written write(Batch batch) {
    try {
      return jdbi.inTransaction(handle -> write(handle, batch, false));
    } catch (RuntimeException e) {
      if (!Failures.isDataError(e)) {
        throw e;
      }
      log.info("the database refused a record of a batch of {} events ({}); applying it in parts to find it",
          batch.events().size(), Failures.describe(e));
      return jdbi.inTransaction(handle -> write(handle, batch, true));
    }
  }

  private Written write(Handle handle, Batch batch, boolean isolate) {
    checkOffsets(handle, batch);
    recordProgress(handle, batch.progress());
    Map<DeadLetter, DeadLetter> dead = new LinkedHashMap<>();
    batch.deadLetters().forEach(d -> dead.merge(d, d, (a, b) -> a.withError(b.error())));
    ApplyResult result;
    if (isolate) {
      List<Integer> all = new ArrayList<>(batch.events().size());
      for (int i = 0; i < batch.events().size(); i++) {
        all.add(i);
      }
      result = bisect(handle, batch.events(), all, new int[1], (index, error) -> {
        DeadLetter d = batch.sourceOf().apply(index);
        DeadLetter refused = new DeadLetter(d.topic(), d.partition(), d.offset(), d.key(), d.value(),
            "refused by the database: " + error);
        dead.merge(refused, refused, (a, b) -> a.withError(b.error()));
      });
    } else {
      result = applyEvents(handle, batch.events());
    }
    if (!dead.isEmpty()) {
      var insert = handle.prepareBatch(DEAD_LETTER);
      for (DeadLetter d : dead.values()) {
        insert.bind("group", batch.consumerGroup()).bind("topic", d.topic())
            .bind("partition", d.partition()).bind("offset", d.offset())
            .bind("key", d.key()).bind("message", d.value()).bind("error", d.error()).add();
      }
      insert.execute();
    }
    return new Written(result, List.copyOf(dead.values()));
  }

  /** Applies the events at the indices, in halves under savepoints where the database refuses. */
  private ApplyResult bisect(Handle handle, List<ObjectEvent> events, List<Integer> indices, int[] parts,
      java.util.function.BiConsumer<Integer, String> refused) {
    String savepoint = "part_" + parts[0]++;
    handle.savepoint(savepoint);
    try {
      ApplyResult result = applyEvents(handle, indices.stream().map(events::get).toList());
      handle.releaseSavepoint(savepoint);
      return result;
    } catch (RuntimeException e) {
      if (!Failures.isDataError(e)) {
        throw e;
      }
      handle.rollbackToSavepoint(savepoint);
      ApplyResult result;
      if (indices.size() == 1) {
        refused.accept(indices.get(0), Failures.describe(e));
        result = ApplyResult.EMPTY;
      } else {
        int half = indices.size() / 2;
        result = bisect(handle, events, indices.subList(0, half), parts, refused)
            .plus(bisect(handle, events, indices.subList(half, indices.size()), parts, refused));
      }
      // Rolled back to, the savepoint is gone from the handle's books; the commit ends it.
      return result;
    }
  }

  private static void checkOffsets(Handle handle, Batch batch) {
    if (batch.progress().isEmpty()) {
      return;
    }
    PartitionProgress first = batch.progress().get(0);
    Map<Integer, Long> stored = new HashMap<>();
    handle.createQuery(CHECK_PROGRESS)
        .bind("group", batch.consumerGroup())
        .bind("topic", first.topic())
        .bindArray("partitions", Integer.class, batch.progress().stream().map(PartitionProgress::partition).toList())
        .map((rs, ctx) -> stored.put(rs.getInt(1), rs.getLong(2)))
        .list();
    for (PartitionProgress p : batch.progress()) {
      if (!Objects.equals(stored.get(p.partition()), batch.expectedOffsets().get(p.partition()))) {
        throw new OffsetsMovedException(batch.expectedOffsets(), stored);
      }
    }
  }

  private ApplyResult applyEvents(Handle handle, List<ObjectEvent> events) {
    List<ObjectEvent> regular = new ArrayList<>(events.size());
    List<ObjectEvent> versionRemovals = new ArrayList<>();
    List<ObjectEvent> tagged = new ArrayList<>();
    for (ObjectEvent e : events) {
      switch (e.kind()) {
        case VERSION_REMOVED -> versionRemovals.add(e);
        case TAGGED -> tagged.add(e);
        default -> regular.add(e);
      }
    }
    int changed = 0;
    int queued = 0;
    if (!regular.isEmpty()) {
      handle.createUpdate(REGISTER_BUCKETS)
          .bindArray("names", String.class, regular.stream().map(ObjectEvent::bucket).distinct().toList())
          .execute();
      int[] counts = upsert(handle, newestPerKey(regular));
      changed += counts[0];
      queued += counts[1];
    }
    for (List<ObjectEvent> round : rounds(versionRemovals)) {
      changed += removeVersions(handle, round);
    }
    if (enrichTags && !tagged.isEmpty()) {
      queued += handle.createUpdate(QUEUE_TAGGED)
          .bindArray("buckets", String.class, tagged.stream().map(ObjectEvent::bucket).toList())
          .bindArray("keys", String.class, tagged.stream().map(ObjectEvent::key).toList())
          .execute();
    }
    return new ApplyResult(changed, events.size() - changed, queued);
  }

  /** Upserts the winners; answers {applied, queued for enrichment}. */
  private int[] upsert(Handle handle, Collection<ObjectEvent> winners) {
    int n = winners.size();
    List<String> buckets = new ArrayList<>(n);
    List<String> keys = new ArrayList<>(n);
    List<Long> sizes = new ArrayList<>(n);
    List<String> etags = new ArrayList<>(n);
    List<String> versionIds = new ArrayList<>(n);
    List<String> sequencers = new ArrayList<>(n);
    List<Boolean> deleted = new ArrayList<>(n);
    List<String> eventTimes = new ArrayList<>(n);
    List<String> contentTypes = new ArrayList<>(n);
    List<String> metadata = new ArrayList<>(n);
    List<String> tags = new ArrayList<>(n);
    for (ObjectEvent e : winners) {
      buckets.add(e.bucket());
      keys.add(e.key());
      sizes.add(e.size());
      etags.add(e.etag());
      versionIds.add(e.versionId());
      sequencers.add(e.sequencer());
      deleted.add(e.kind() != ObjectEvent.Kind.CREATED);
      eventTimes.add(e.eventTime().toString());
      contentTypes.add(e.contentType());
      metadata.add(metadataJson(e.metadata()));
      tags.add(metadataJson(e.tags()));
    }
    if (!enrichment) {
      int applied = bindUpsert(handle.createUpdate(upsertSql).define("table", table), buckets, keys, sizes, etags, versionIds,
          sequencers, deleted, eventTimes, contentTypes, metadata, tags).execute();
      return new int[] {applied, 0};
    }
    return bindUpsert(handle.createQuery(upsertSql), buckets, keys, sizes, etags, versionIds,
        sequencers, deleted, eventTimes, contentTypes, metadata, tags)
        .bind("enrichTags", enrichTags)
        .map((rs, ctx) -> new int[] {rs.getInt("applied"), rs.getInt("queued")})
        .one();
  }

  /** Binds the upsert's column arrays to either form of the statement (counted or queueing). */
  private static <S extends SqlStatement<S>> S bindUpsert(S statement, List<String> buckets,
      List<String> keys, List<Long> sizes, List<String> etags, List<String> versionIds,
      List<String> sequencers, List<Boolean> deleted, List<String> eventTimes,
      List<String> contentTypes, List<String> metadata, List<String> tags) {
    return statement
        .bindArray("buckets", String.class, buckets)
        .bindArray("keys", String.class, keys)
        .bindArray("sizes", Long.class, sizes)
        .bindArray("etags", String.class, etags)
        .bindArray("versionIds", String.class, versionIds)
        .bindArray("sequencers", String.class, sequencers)
        .bindArray("deleted", Boolean.class, deleted)
        .bindArray("eventTimes", String.class, eventTimes)
        .bindArray("contentTypes", String.class, contentTypes)
        .bindArray("metadata", String.class, metadata)
        .bindArray("tags", String.class, tags);
  }

  private int removeVersions(Handle handle, List<ObjectEvent> round) {
    return handle.createUpdate(REMOVE_VERSIONS).define("table", table)
        .bindArray("buckets", String.class, round.stream().map(ObjectEvent::bucket).toList())
        .bindArray("keys", String.class, round.stream().map(ObjectEvent::key).toList())
        .bindArray("versionIds", String.class, round.stream().map(ObjectEvent::versionId).toList())
        .bindArray("sequencers", String.class, round.stream().map(ObjectEvent::sequencer).toList())
        .bindArray("eventTimes", String.class,
            round.stream().map(e -> e.eventTime().toString()).toList())
        .execute();
  }

  private static void recordProgress(Handle handle, List<PartitionProgress> progress) {
    if (progress.isEmpty()) {
      return;
    }
    handle.createUpdate(PROGRESS)
        .bindArray("groups", String.class, progress.stream().map(PartitionProgress::consumerGroup).toList())
        .bindArray("topics", String.class, progress.stream().map(PartitionProgress::topic).toList())
        .bindArray("partitions", Integer.class, progress.stream().map(PartitionProgress::partition).toList())
        .bindArray("offsets", Long.class, progress.stream().map(PartitionProgress::nextOffset).toList())
        .bindArray("eventTimes", String.class, progress.stream()
            .map(p -> p.lastEventTime() == null ? null : p.lastEventTime().toString()).toList())
        .execute();
  }

  /**
   * The next offset per partition of {@code topic} that this group has durably applied: the
   * offsets written with the data, which are never behind the ones committed to Kafka.
   */
  public Map<Integer, Long> storedOffsets(String consumerGroup, String topic) {
    return jdbi.withHandle(h -> h.createQuery(LOAD_PROGRESS)
        .bind("group", consumerGroup)
        .bind("topic", topic)
        .reduceRows(new java.util.HashMap<Integer, Long>(), (map, row) -> {
          map.put(row.getColumn("partition", Integer.class), row.getColumn("next_offset", Long.class));
          return map;
        }));
  }

  /** User metadata or tags as the JSON text the index stores (null stays null); also used by ops rebuild. */
  public static String metadataJson(Map<String, String> metadata) {
    if (metadata == null) {
      return null;
    }
    try {
      return MAPPER.writeValueAsString(metadata);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize metadata", e);
    }
  }

  /** The newest event per (bucket, key), in first-seen order; ties keep the first. */
  static Collection<ObjectEvent> newestPerKey(List<ObjectEvent> events) {
    Map<BucketKey, ObjectEvent> newest = new LinkedHashMap<>(events.size() * 2);
    for (ObjectEvent e : events) {
      newest.merge(new BucketKey(e.bucket(), e.key()), e,
          (held, incoming) -> incoming.isNewerThan(held) ? incoming : held);
    }
    return newest.values();
  }

  /**
   * Version removals in rounds of at most one per key, oldest first, so that each is judged
   * against the state the ones before it left.
   */
  static List<List<ObjectEvent>> rounds(List<ObjectEvent> removals) {
    Map<BucketKey, List<ObjectEvent>> byKey = new LinkedHashMap<>();
    for (ObjectEvent e : removals) {
      byKey.computeIfAbsent(new BucketKey(e.bucket(), e.key()), k -> new ArrayList<>()).add(e);
    }
    List<List<ObjectEvent>> rounds = new ArrayList<>();
    for (List<ObjectEvent> perKey : byKey.values()) {
      perKey.sort(Comparator.comparing(ObjectEvent::sequencer));
      for (int i = 0; i < perKey.size(); i++) {
        if (rounds.size() <= i) {
          rounds.add(new ArrayList<>());
        }
        rounds.get(i).add(perKey.get(i));
      }
    }
    return rounds;
  }

  private record BucketKey(String bucket, String key) {}
}
