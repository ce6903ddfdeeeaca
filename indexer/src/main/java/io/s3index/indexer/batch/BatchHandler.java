package io.s3index.indexer.batch;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.apply.DeadLetter;
import io.s3index.indexer.apply.OffsetsMovedException;
import io.s3index.indexer.apply.PartitionProgress;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.InvalidEventException;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.ParsedMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Turns one polled batch of one topic into one database transaction, knowing nothing of Kafka:
 * parse every message (what cannot be parsed becomes a dead letter, and a message with some bad
 * records applies its good ones and is dead-lettered naming the bad), write the events, the dead
 * letters and the partitions' progress together, and say which offsets to commit.
 *
 * <p>It keeps, per assigned partition, the next offset it believes the database holds; the write
 * is refused when the database holds another ({@link OffsetsMovedException}), and the handler
 * then believes the database. Failures of the write propagate unchanged; nothing is committed
 * then, and the caller retries.
 *
 * <p>Called from the consumer's thread; {@link #believedOffsets()} may be read from any thread.
 */
public final class BatchHandler {

  private final String consumerGroup;
  private final EventParser parser;
  private final Function<BatchWriter.Batch, BatchWriter.Written> writer;
  private final Map<Integer, Long> believed = new ConcurrentHashMap<>();

  public BatchHandler(String consumerGroup, EventParser parser,
      Function<BatchWriter.Batch, BatchWriter.Written> writer) {
    this.consumerGroup = Objects.requireNonNull(consumerGroup, "consumerGroup");
    this.parser = Objects.requireNonNull(parser, "parser");
    this.writer = Objects.requireNonNull(writer, "writer");
  }

  /**
   * Partitions newly held, with what the database holds for them (partitions without a row are
   * absent from {@code stored}).
   */
  public void assigned(Collection<Integer> partitions, Map<Integer, Long> stored) {
    for (Integer p : partitions) {
      believe(p, stored.get(p));
    }
  }

  /** Partitions no longer held. */
  public void revoked(Collection<Integer> partitions) {
    partitions.forEach(believed::remove);
  }

  /** Takes the database's word for these partitions (absent: no row). */
  public void believe(Map<Integer, Long> stored, Collection<Integer> partitions) {
    for (Integer p : partitions) {
      believe(p, stored.get(p));
    }
  }

  private void believe(int partition, Long stored) {
    if (stored == null) {
      believed.remove(partition);
    } else {
      believed.put(partition, stored);
    }
  }

  /** The next offset per partition the handler believes the database holds. */
  public Map<Integer, Long> believedOffsets() {
    return Map.copyOf(believed);
  }

  /**
   * Handles one batch of one topic's records, in offset order per partition.
   *
   * @throws OffsetsMovedException if the database holds other offsets than believed (the handler
   *     now believes the database; resume each partition from {@link OffsetsMovedException#stored()})
   * @throws RuntimeException from the database; nothing was written
   */
  public BatchOutcome handle(List<SourceRecord> records) {
    if (records.isEmpty()) {
      throw new IllegalArgumentException("an empty batch");
    }
    long started = System.nanoTime();
    String topic = records.get(0).topic();
    List<ObjectEvent> events = new ArrayList<>(records.size());
    List<SourceRecord> eventSources = new ArrayList<>(records.size());
    List<DeadLetter> dead = new ArrayList<>();
    Map<Integer, Long> next = new LinkedHashMap<>();
    Map<Integer, Instant> newest = new HashMap<>();
    int skipped = 0;
    for (SourceRecord record : records) {
      if (!record.topic().equals(topic)) {
        throw new IllegalArgumentException("a batch holds one topic's records: " + topic + ", " + record.topic());
      }
      next.merge(record.partition(), record.offset() + 1, Math::max);
      try {
        ParsedMessage parsed = parser.parse(record.value());
        skipped += parsed.skipped();
        for (ObjectEvent e : parsed.events()) {
          events.add(e);
          eventSources.add(record);
          newest.merge(record.partition(), e.eventTime(), (a, b) -> a.isAfter(b) ? a : b);
        }
        if (!parsed.rejected().isEmpty()) {
          dead.add(deadLetter(record, "refused records (the others were applied): "
              + String.join("; ", parsed.rejected())));
        }
      } catch (InvalidEventException e) {
        dead.add(deadLetter(record, e.getMessage()));
      }
    }
    long parsed = System.nanoTime() - started;
    List<PartitionProgress> progress = new ArrayList<>(next.size());
    Map<Integer, Long> expected = new HashMap<>();
    for (Map.Entry<Integer, Long> p : next.entrySet()) {
      progress.add(new PartitionProgress(consumerGroup, topic, p.getKey(), p.getValue(), newest.get(p.getKey())));
      Long belief = believed.get(p.getKey());
      if (belief != null) {
        expected.put(p.getKey(), belief);
      }
    }
    BatchWriter.Written written;
    try {
      written = writer.apply(new BatchWriter.Batch(consumerGroup, events, progress, expected, dead,
          i -> deadLetter(eventSources.get(i), "")));
    } catch (OffsetsMovedException e) {
      believe(e.stored(), next.keySet());
      throw e;
    }
    // Progress rows only move forward: what the database holds now is the larger of the two.
    next.forEach((p, offset) -> believed.merge(p, offset, Math::max));
    return new BatchOutcome(records.size(), written.result(), skipped, written.deadLetters(), next, parsed);
  }

  private static DeadLetter deadLetter(SourceRecord record, String error) {
    return new DeadLetter(record.topic(), record.partition(), record.offset(), record.key(),
        record.value(), error);
  }
}
