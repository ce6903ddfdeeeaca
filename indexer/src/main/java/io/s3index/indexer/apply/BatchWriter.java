package io.s3index.indexer.apply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.shared.events.ObjectEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * Applies batches of object events to the index, set-wise: the batch is reduced to the newest
 * event per (bucket, key), written with one multi-row upsert whose sequencer guard keeps older
 * events from overwriting newer state, then permanent removals of single versions are applied
 * (usually one more statement). Knows nothing of Kafka.
 *
 * <p>Idempotent: applying the same events again, in any order or grouping, leaves the same
 * index. Thread-safe. Database failures propagate as Jdbi exceptions; nothing is half-written
 * (one transaction).
 */
public final class BatchWriter {

  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String UPSERT = SQL.locate(BatchWriter.class, "upsert-objects");
  private static final String REMOVE_VERSIONS = SQL.locate(BatchWriter.class, "remove-versions");
  private static final String PROGRESS = SQL.locate(BatchWriter.class, "record-progress");
  private static final String LOAD_PROGRESS = SQL.locate(BatchWriter.class, "load-progress");

  /** The table a writer fills: the live index, or the shadow {@code ops rebuild} replays into. */
  public enum Target {
    LIVE("objects"),
    REBUILD("objects_rebuild");

    private final String table;

    Target(String table) {
      this.table = table;
    }

    String sql(String statement) {
      if (this == LIVE) {
        return statement;
      }
      String retargeted = statement.replace("INSERT INTO objects AS o", "INSERT INTO " + table + " AS o");
      if (retargeted.equals(statement)) {
        throw new IllegalStateException("statement does not name its target as 'INSERT INTO objects AS o'");
      }
      return retargeted;
    }
  }

  private final Jdbi jdbi;
  private final boolean enrichment;
  private final String upsertSql;
  private final String removeVersionsSql;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** @param enrichment whether creates that carry no content type or metadata are queued for HeadObject */
  public BatchWriter(Jdbi jdbi, boolean enrichment) {
    this(jdbi, enrichment, Target.LIVE);
  }

  public BatchWriter(Jdbi jdbi, boolean enrichment, Target target) {
    this.jdbi = jdbi;
    this.enrichment = enrichment;
    // Without enrichment nothing needs the changed rows back: count them instead of shipping
    // thousands of rows to the client per batch.
    String upsert = target.sql(UPSERT);
    this.upsertSql = enrichment ? upsert : upsert.substring(0, upsert.lastIndexOf("RETURNING"));
    this.removeVersionsSql = target.sql(REMOVE_VERSIONS);
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
    List<ObjectEvent> regular = new ArrayList<>(events.size());
    List<ObjectEvent> versionRemovals = new ArrayList<>();
    for (ObjectEvent e : events) {
      (e.kind() == ObjectEvent.Kind.VERSION_REMOVED ? versionRemovals : regular).add(e);
    }
    return jdbi.inTransaction(handle -> {
      // Progress first: ops rebuild pauses writers by locking the progress table, and a writer
      // must not hold row locks on the objects table while it waits there.
      if (!progress.isEmpty()) {
        recordProgress(handle, progress);
      }
      List<AppliedCreate> toEnrich = new ArrayList<>();
      int changed = 0;
      if (!regular.isEmpty()) {
        changed += upsert(handle, newestPerKey(regular), toEnrich);
      }
      for (List<ObjectEvent> round : rounds(versionRemovals)) {
        changed += removeVersions(handle, round, toEnrich);
      }
      return new ApplyResult(changed, events.size() - changed, toEnrich);
    });
  }

  private int upsert(Handle handle, Collection<ObjectEvent> winners,
      List<AppliedCreate> toEnrich) {
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
    List<Boolean> enrich = new ArrayList<>(n);
    for (ObjectEvent e : winners) {
      boolean created = e.kind() == ObjectEvent.Kind.CREATED;
      buckets.add(e.bucket());
      keys.add(e.key());
      sizes.add(e.size());
      etags.add(e.etag());
      versionIds.add(e.versionId());
      sequencers.add(e.sequencer());
      deleted.add(!created);
      eventTimes.add(e.eventTime().toString());
      contentTypes.add(e.contentType());
      metadata.add(metadataJson(e.metadata()));
      enrich.add(enrichment && created && !e.isDescribed());
    }
    if (!enrichment) {
      return bindUpsert(handle.createUpdate(upsertSql), buckets, keys, sizes, etags, versionIds,
          sequencers, deleted, eventTimes, contentTypes, metadata, enrich).execute();
    }
    return collect(bindUpsert(handle.createQuery(upsertSql), buckets, keys, sizes, etags,
        versionIds, sequencers, deleted, eventTimes, contentTypes, metadata, enrich), toEnrich);
  }

  /** Binds the upsert's column arrays to either form of the statement (counted or RETURNING). */
  private static <S extends SqlStatement<S>> S bindUpsert(S statement, List<String> buckets,
      List<String> keys, List<Long> sizes, List<String> etags, List<String> versionIds,
      List<String> sequencers, List<Boolean> deleted, List<String> eventTimes,
      List<String> contentTypes, List<String> metadata, List<Boolean> enrich) {
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
        .bindArray("enrich", Boolean.class, enrich);
  }

  private int removeVersions(Handle handle, List<ObjectEvent> round, List<AppliedCreate> toEnrich) {
    return collect(handle.createQuery(removeVersionsSql)
        .bindArray("buckets", String.class, round.stream().map(ObjectEvent::bucket).toList())
        .bindArray("keys", String.class, round.stream().map(ObjectEvent::key).toList())
        .bindArray("versionIds", String.class, round.stream().map(ObjectEvent::versionId).toList())
        .bindArray("sequencers", String.class, round.stream().map(ObjectEvent::sequencer).toList())
        .bindArray("eventTimes", String.class,
            round.stream().map(e -> e.eventTime().toString()).toList()), toEnrich);
  }

  /** Counts the rows a RETURNING statement changed, keeping those that await enrichment. */
  private static int collect(org.jdbi.v3.core.statement.Query query, List<AppliedCreate> toEnrich) {
    int[] changed = {0};
    query.map((rs, ctx) -> {
      changed[0]++;
      if (rs.getBoolean("enrich_pending")) {
        toEnrich.add(new AppliedCreate(rs.getString("bucket"), rs.getString("key"),
            rs.getString("sequencer"), rs.getString("version_id"), rs.getString("etag")));
      }
      return Boolean.TRUE;
    }).forEach(ignored -> { });
    return changed[0];
  }

  private static void recordProgress(Handle handle, List<PartitionProgress> progress) {
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

  /** User metadata as the JSON text the index stores (null stays null); also used by ops rebuild. */
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
