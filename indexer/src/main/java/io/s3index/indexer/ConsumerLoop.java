package io.s3index.indexer;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.apply.OffsetsMovedException;
import io.s3index.indexer.batch.BatchHandler;
import io.s3index.indexer.batch.BatchOutcome;
import io.s3index.indexer.batch.SourceRecord;
import io.s3index.indexer.enrich.Enricher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
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
 * from the outbox, commit the offsets, and wake the enricher. {@link StoredPositions} keeps the
 * consumer on the offsets stored with the data (the truth): on assignment, after a failed batch,
 * and when an idle check finds them moved.
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

  private final Consumer<byte[], byte[]> consumer;
  private final IndexerConfig config;
  private final BatchHandler handler;
  private final DeadLetterOutbox outbox;
  private final IndexerStats stats;
  private final IndexerMetrics metrics;
  private final Enricher enricher;
  private final StoredPositions positions;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile boolean running = true;
  /** When the outbox may be tried again after a failed send. */
  private long nextFlushAt = System.nanoTime();

  /** @param enricher woken when a batch queued creates for HeadObject, or null without enrichment */
  ConsumerLoop(Consumer<byte[], byte[]> consumer, IndexerConfig config, BatchWriter writer,
      BatchHandler handler, DeadLetterOutbox outbox, IndexerStats stats, IndexerMetrics metrics,
      Enricher enricher) {
    this.consumer = consumer;
    this.config = config;
    this.handler = handler;
    this.outbox = outbox;
    this.stats = stats;
    this.metrics = metrics;
    this.enricher = enricher;
    this.positions = new StoredPositions(consumer, config, writer, handler, stats, metrics);
  }

  @Override
  public void run() {
    Duration backoff = FIRST_BACKOFF;
    try {
      consumer.subscribe(List.of(config.topic()), positions.listener);
      log.info("consuming topic {} as group {}", config.topic(), config.groupId());
      while (running) {
        flushOutbox();
        if (positions.needsResume()) {
          try {
            positions.resume();
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
        positions.recordLag();
        if (records.isEmpty()) {
          positions.verifyNowAndThen();
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
          positions.resumeOrRewind(records);
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
          positions.resumeOrRewind(records);
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
    return positions.assignment();
  }

  /** Asks the loop to stop after the batch in hand; safe from any thread. */
  void shutdown() {
    running = false;
    stopping.countDown();
    consumer.wakeup();
  }
}
