package io.s3index.indexer.apply;

import io.s3index.shared.events.ObjectEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
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
  private static final String PROGRESS =
      ClasspathSqlLocator.removingComments().locate(BatchWriter.class, "record-progress");

  private final Jdbi jdbi;

  public BatchWriter(Jdbi jdbi) {
    this.jdbi = jdbi;
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
      int changed = events.isEmpty() ? 0 : upsert(handle, events);
      if (!progress.isEmpty()) {
        recordProgress(handle, progress);
      }
      return new ApplyResult(changed, events.size() - changed);
    });
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

  private static int upsert(Handle handle, List<ObjectEvent> events) {
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
    return handle.createUpdate(UPSERT)
        .bindArray("buckets", String.class, buckets)
        .bindArray("keys", String.class, keys)
        .bindArray("sizes", Long.class, sizes)
        .bindArray("etags", String.class, etags)
        .bindArray("versionIds", String.class, versionIds)
        .bindArray("sequencers", String.class, sequencers)
        .bindArray("deleted", Boolean.class, deleted)
        .bindArray("eventTimes", String.class, eventTimes)
        .execute();
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
