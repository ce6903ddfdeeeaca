package io.s3index.indexer.apply;

import io.s3index.shared.events.ObjectEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;

/**
 * Applies batches of object events to the index, set-wise: the batch is first reduced to the
 * newest event per (bucket, key), then written with one multi-row upsert whose sequencer guard
 * keeps older events from overwriting newer state. Knows nothing of Kafka.
 *
 * <p>Idempotent: applying the same events again, in any order or grouping, leaves the same
 * index. Thread-safe. Database failures propagate as Jdbi exceptions; nothing is half-written
 * (one statement, one transaction).
 */
public final class BatchWriter {

  private static final String UPSERT =
      ClasspathSqlLocator.removingComments().locate(BatchWriter.class, "upsert-objects");

  private final Jdbi jdbi;

  public BatchWriter(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** Writes the events in one transaction and says how many changed the index. */
  public ApplyResult apply(List<ObjectEvent> events) {
    if (events.isEmpty()) {
      return ApplyResult.EMPTY;
    }
    Collection<ObjectEvent> winners = newestPerKey(events);
    int n = winners.size();
    List<String> buckets = new ArrayList<>(n);
    List<String> keys = new ArrayList<>(n);
    List<Long> sizes = new ArrayList<>(n);
    List<String> etags = new ArrayList<>(n);
    List<String> versionIds = new ArrayList<>(n);
    List<String> sequencers = new ArrayList<>(n);
    List<Boolean> deleted = new ArrayList<>(n);
    List<String> eventTimes = new ArrayList<>(n);
    for (ObjectEvent e : winners) {
      buckets.add(e.bucket());
      keys.add(e.key());
      sizes.add(e.size());
      etags.add(e.etag());
      versionIds.add(e.versionId());
      sequencers.add(e.sequencer());
      deleted.add(e.kind() == ObjectEvent.Kind.REMOVED);
      eventTimes.add(e.eventTime().toString());
    }
    int changed = jdbi.inTransaction(handle -> handle.createUpdate(UPSERT)
        .bindArray("buckets", String.class, buckets)
        .bindArray("keys", String.class, keys)
        .bindArray("sizes", Long.class, sizes)
        .bindArray("etags", String.class, etags)
        .bindArray("versionIds", String.class, versionIds)
        .bindArray("sequencers", String.class, sequencers)
        .bindArray("deleted", Boolean.class, deleted)
        .bindArray("eventTimes", String.class, eventTimes)
        .execute());
    return new ApplyResult(changed, events.size() - changed);
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

  private record BucketKey(String bucket, String key) {}
}
