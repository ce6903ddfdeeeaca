package io.s3index.indexer;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.batch.BatchHandler;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the consumer's positions on the offsets stored with the data, which are the truth. On
 * assignment, and after any failed batch, every held partition resumes from the stored offsets,
 * not from the consumer's own position: a database that lost its last commits (crash recovery
 * with asynchronous commit, failover to a replica that was behind) gets those events again. While
 * idle it compares the stored offsets with what the {@link BatchHandler} believes every few
 * seconds, so a loss noticed by nobody (the pool quietly replaced its broken connections) is
 * caught too. It also measures lag from the stored offsets.
 *
 * <p>Used on the consumer's thread only (the rebalance listener runs inside its poll), except
 * {@link #assignment()}.
 */
final class StoredPositions {

  private static final Logger log = LoggerFactory.getLogger(StoredPositions.class);
  private static final Duration VERIFY_EVERY = Duration.ofSeconds(5);

  private final Consumer<byte[], byte[]> consumer;
  private final IndexerConfig config;
  private final BatchWriter writer;
  private final BatchHandler handler;
  private final IndexerStats stats;
  private final IndexerMetrics metrics;
  private final Set<Integer> assigned = ConcurrentHashMap.newKeySet();
  /**
   * Where each held partition started when it was assigned without a stored row (Kafka's
   * committed offset, or the start of the partition). Kept while the partition is held: if the
   * database later loses every row this consumer stored for it, reading resumes from here.
   */
  private final Map<Integer, Long> startedAt = new ConcurrentHashMap<>();
  private long verifiedAt = System.nanoTime();
  /** The stored offsets could not be read after a failure: read them before the next poll. */
  private boolean needsResume;

  StoredPositions(Consumer<byte[], byte[]> consumer, IndexerConfig config, BatchWriter writer,
      BatchHandler handler, IndexerStats stats, IndexerMetrics metrics) {
    this.consumer = consumer;
    this.config = config;
    this.writer = writer;
    this.handler = handler;
    this.stats = stats;
    this.metrics = metrics;
  }

  /** On assignment, resume each partition from the offset stored with the data. */
  final ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // Nothing to flush: every batch is committed before the next poll.
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
      assigned.addAll(numbers);
      Map<Integer, Long> stored;
      try {
        stored = writer.storedOffsets(config.groupId(), config.topic());
      } catch (RuntimeException e) {
        // The first batch will fail too (the database is away), and its retry resumes every
        // partition from the stored offsets once they can be read.
        log.warn("cannot read stored offsets ({}); they are read again before the first write", e.toString());
        partitions.forEach(p -> startedAt.put(p.partition(), consumer.position(p)));
        handler.assigned(numbers, Map.of());
        needsResume = true;
        return;
      }
      seekToStored(partitions, stored);
      log.info("assigned {} partition(s) of {}: {}", partitions.size(), config.topic(),
          numbers.stream().sorted().toList());
    }
  };

  private void forget(Collection<TopicPartition> partitions) {
    List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
    assigned.removeAll(numbers);
    numbers.forEach(startedAt::remove);
    handler.revoked(numbers);
    stats.settled(numbers);
    metrics.forget(config.topic(), numbers);
  }

  /** Seeks each partition to its stored offset; one without a row stays where Kafka put it. */
  private void seekToStored(Collection<TopicPartition> partitions, Map<Integer, Long> stored) {
    List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
    handler.assigned(numbers, stored);
    for (TopicPartition partition : partitions) {
      Long next = stored.get(partition.partition());
      if (next != null) {
        consumer.seek(partition, next);
        startedAt.remove(partition.partition());
      } else {
        startedAt.put(partition.partition(), consumer.position(partition));
      }
    }
  }

  /** Whether the stored offsets must be read before the next poll. */
  boolean needsResume() {
    return needsResume;
  }

  /**
   * After a failed batch: resumes from the database's offsets, or, while they cannot be read,
   * rewinds the batch's partitions and reads them again before the next poll.
   */
  void resumeOrRewind(ConsumerRecords<byte[], byte[]> failed) {
    try {
      resume();
    } catch (RuntimeException e) {
      needsResume = true;
      rewind(failed);
    }
  }

  /**
   * Seeks every held partition to the offset the database holds; a partition without a stored row
   * goes back to where it started when assigned.
   *
   * @throws RuntimeException when the offsets cannot be read (the database is away)
   */
  void resume() {
    Map<Integer, Long> stored = writer.storedOffsets(config.groupId(), config.topic());
    needsResume = false;
    Set<TopicPartition> held = consumer.assignment();
    handler.believe(stored, held.stream().map(TopicPartition::partition).toList());
    for (TopicPartition partition : held) {
      Long next = stored.get(partition.partition());
      if (next != null) {
        consumer.seek(partition, next);
      } else if (startedAt.containsKey(partition.partition())) {
        consumer.seek(partition, startedAt.get(partition.partition()));
      } else {
        // The row read at assignment is gone (a failover to a replica far behind): all of the
        // partition that is still retained is read again, which the sequencer guard makes safe.
        consumer.seekToBeginning(List.of(partition));
      }
    }
    verifiedAt = System.nanoTime();
  }

  /** While idle, compares the stored offsets with what the handler believes, every few seconds. */
  void verifyNowAndThen() {
    if (System.nanoTime() - verifiedAt < VERIFY_EVERY.toNanos() || assigned.isEmpty()) {
      return;
    }
    verifiedAt = System.nanoTime();
    Map<Integer, Long> stored;
    try {
      stored = writer.storedOffsets(config.groupId(), config.topic());
    } catch (RuntimeException e) {
      log.debug("cannot verify the stored offsets now ({})", e.toString());
      return;
    }
    Map<Integer, Long> believed = handler.believedOffsets();
    Map<Integer, Long> held = assigned.stream().filter(stored::containsKey)
        .collect(Collectors.toMap(p -> p, stored::get));
    Map<Integer, Long> mine = assigned.stream().filter(believed::containsKey)
        .collect(Collectors.toMap(p -> p, believed::get));
    if (!held.equals(mine)) {
      log.warn("the database holds offsets {} where this indexer believed {}; resuming from the database's",
          held, mine);
      try {
        resume();
      } catch (RuntimeException e) {
        needsResume = true;
      }
    }
  }

  /**
   * Lag per partition, measured from the offset stored with the data (not the consumer's fetch
   * position, which runs ahead of a batch that keeps failing): end of partition minus next
   * stored offset.
   */
  void recordLag() {
    Map<Integer, Long> believed = handler.believedOffsets();
    for (TopicPartition partition : consumer.assignment()) {
      OptionalLong lag = consumer.currentLag(partition);
      if (lag.isEmpty()) {
        continue;
      }
      long end = consumer.position(partition) + lag.getAsLong();
      Long committed = believed.get(partition.partition());
      if (committed == null) {
        committed = startedAt.get(partition.partition());
      }
      if (committed == null) {
        continue;
      }
      metrics.lag(partition, Math.max(0, end - committed));
    }
  }

  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      if (consumer.assignment().contains(partition)) {
        consumer.seek(partition, records.records(partition).get(0).offset());
      }
    }
  }

  /** The partitions of the topic the consumer holds now; safe from any thread. */
  Set<Integer> assignment() {
    return Set.copyOf(assigned);
  }
}
