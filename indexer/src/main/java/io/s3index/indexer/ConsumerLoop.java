package io.s3index.indexer;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.apply.OffsetsMovedException;
import io.s3index.indexer.batch.BatchHandler;
import io.s3index.indexer.batch.BatchOutcome;
import io.s3index.indexer.batch.SourceRecord;
import io.s3index.indexer.enrich.Enricher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of the indexer, kept thin: poll a batch, hand it to the {@link BatchHandler}
 * (which writes it, its dead letters and its progress in one transaction), send the dead letters
 * from the outbox, commit the offsets, and wake the enricher.
 *
 * <p>The database's offsets are the truth. On assignment, and after any failed batch, every held
 * partition resumes from the offsets stored with the data, not from the consumer's own position:
 * a database that lost its last commits (crash recovery with asynchronous commit, failover to a
 * replica that was behind) gets those events again. Each write also checks that the database
 * holds the offsets the handler believes, and an idle loop compares them every few seconds, so a
 * loss noticed by nobody (the pool quietly replaced its broken connections) is caught too.
 *
 * <p>A batch that cannot be written is retried after a growing pause, and the consumer stays in
 * its group. Because the writer is idempotent, a batch written twice changes nothing.
 *
 * <p>Runs on one thread; {@link #shutdown()} may be called from any thread.
 */
final class ConsumerLoop implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration VERIFY_EVERY = Duration.ofSeconds(5);

  private final Consumer<byte[], byte[]> consumer;
  private final IndexerConfig config;
  private final BatchHandler handler;
  private final BatchWriter writer;
  private final DeadLetterOutbox outbox;
  private final IndexerStats stats;
  private final IndexerMetrics metrics;
  private final Enricher enricher;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final Set<Integer> assigned = ConcurrentHashMap.newKeySet();
  /**
   * Where each held partition started when it was assigned without a stored row (Kafka's
   * committed offset, or the start of the partition). Kept while the partition is held: if the
   * database later loses every row this consumer stored for it, reading resumes from here.
   */
  private final Map<Integer, Long> startedAt = new ConcurrentHashMap<>();
  private volatile boolean running = true;
  private long verifiedAt = System.nanoTime();
  /** The stored offsets could not be read after a failure: read them before the next poll. */
  private volatile boolean needsResume;
  /** When the outbox may be tried again after a failed send. */
  private long nextFlushAt = System.nanoTime();

  /** @param enricher woken when a batch queued creates for HeadObject, or null without enrichment */
  ConsumerLoop(Consumer<byte[], byte[]> consumer, IndexerConfig config, BatchWriter writer,
      BatchHandler handler, DeadLetterOutbox outbox, IndexerStats stats, IndexerMetrics metrics,
      Enricher enricher) {
    this.consumer = consumer;
    this.config = config;
    this.writer = writer;
    this.handler = handler;
    this.outbox = outbox;
    this.stats = stats;
    this.metrics = metrics;
    this.enricher = enricher;
  }

  /** On assignment, resume each partition from the offset stored with the data. */
  private final ConsumerRebalanceListener resumeFromIndex = new ConsumerRebalanceListener() {
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

  @Override
  public void run() {
    Duration backoff = FIRST_BACKOFF;
    try {
      consumer.subscribe(List.of(config.topic()), resumeFromIndex);
      log.info("consuming topic {} as group {}", config.topic(), config.groupId());
      while (running) {
        flushOutbox();
        if (needsResume) {
          try {
            resumeFromDatabase();
          } catch (RuntimeException e) {
            // Still away: nothing is polled until the stored offsets can be read.
            stats.batchFailed(e);
            stats.attemptFailed(stats.inHandFor().keySet());
            pause(backoff);
            backoff = min(backoff.multipliedBy(2), config.maxBackoff());
            continue;
          }
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
        recordLag();
        if (records.isEmpty()) {
          verifyNowAndThen();
          continue;
        }
        List<Integer> partitions = records.partitions().stream().map(TopicPartition::partition).toList();
        stats.attempting(partitions);
        try {
          handle(records);
          stats.settled(partitions);
          backoff = FIRST_BACKOFF;
        } catch (OffsetsMovedException e) {
          log.warn("{}; resuming every partition from the database's offsets", e.getMessage());
          resumeOrRewind(records);
        } catch (RuntimeException e) {
          if (!running) {
            break;
          }
          stats.batchFailed(e);
          stats.attemptFailed(partitions);
          log.warn("batch of {} records on partition(s) {} not written ({}); retrying in {} ms",
              records.count(), partitions, e.toString(), backoff.toMillis());
          pause(backoff);
          backoff = min(backoff.multipliedBy(2), config.maxBackoff());
          resumeOrRewind(records);
        }
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
      // Woken up by shutdown(): leave the loop.
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      log.info("consumer closed");
    }
  }

  private void handle(ConsumerRecords<byte[], byte[]> records) {
    long started = System.nanoTime();
    List<SourceRecord> batch = new ArrayList<>(records.count());
    for (ConsumerRecord<byte[], byte[]> r : records) {
      batch.add(new SourceRecord(r.topic(), r.partition(), r.offset(), r.key(), r.value()));
    }
    BatchOutcome outcome = handler.handle(batch);
    long written = System.nanoTime();
    if (!outcome.deadLetters().isEmpty()) {
      outbox.stored();
      flushOutbox();
    }
    commit(outcome.commit());
    stats.stages(outcome.parseNanos(), written - started - outcome.parseNanos(), System.nanoTime() - written);
    if (enricher != null && outcome.result().queued() > 0) {
      enricher.wake();
    }
    long nanos = System.nanoTime() - started;
    stats.batchApplied(outcome.records(), outcome.result(), outcome.skipped(), outcome.deadLetters().size(), nanos);
    metrics.recordBatch(nanos);
    log.debug("batch: {} records, {} applied, {} stale, {} skipped, {} dead-lettered",
        outcome.records(), outcome.result().applied(), outcome.result().stale(), outcome.skipped(),
        outcome.deadLetters().size());
  }

  /**
   * Sends stored dead letters; a failure leaves them in the outbox, and the next try waits a
   * second (the database or broker is away: no log line and no connection wait per poll).
   */
  private void flushOutbox() {
    if (System.nanoTime() - nextFlushAt < 0) {
      return;
    }
    try {
      outbox.flush();
    } catch (RuntimeException e) {
      nextFlushAt = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      log.warn("dead letters stay in the outbox for now ({})", e.toString());
    }
  }


  private void commit(Map<Integer, Long> next) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    next.forEach((p, offset) -> offsets.put(new TopicPartition(config.topic(), p), new OffsetAndMetadata(offset)));
    try {
      consumer.commitSync(offsets);
    } catch (CommitFailedException e) {
      // The group rebalanced while we wrote: the new owner resumes from the offsets stored with
      // the data, so nothing is re-applied.
      log.warn("offset commit lost to a rebalance; the new owner resumes from the stored offsets");
    } catch (RuntimeException e) {
      // Kafka's committed offsets are only a hint; the stored ones are the truth.
      log.warn("offset commit failed ({}); the stored offsets stand", e.toString());
    }
  }

  /**
   * After a failed batch: resumes from the database's offsets, or, while they cannot be read,
   * rewinds the batch's partitions and reads them again before the next poll.
   */
  private void resumeOrRewind(ConsumerRecords<byte[], byte[]> failed) {
    try {
      resumeFromDatabase();
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
  private void resumeFromDatabase() {
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
  private void verifyNowAndThen() {
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
        resumeFromDatabase();
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
  private void recordLag() {
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

  private void pause(Duration duration) {
    try {
      stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** The partitions of the topic this loop holds now. */
  Set<Integer> assignment() {
    return Set.copyOf(assigned);
  }

  /** Asks the loop to stop after the batch in hand; safe from any thread. */
  void shutdown() {
    running = false;
    stopping.countDown();
    consumer.wakeup();
  }
}
