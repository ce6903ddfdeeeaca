package io.s3index.indexer;

import io.s3index.indexer.apply.ApplyResult;
import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.apply.PartitionProgress;
import io.s3index.indexer.enrich.Enricher;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.InvalidEventException;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.OptionalLong;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of the indexer, kept thin: poll a batch, parse it, dead-letter what cannot be
 * parsed, hand the events to the {@link BatchWriter}, and commit the batch's offsets only after
 * its transaction (and its dead letters) are durable.
 *
 * <p>A batch that cannot be written (database away, broker refusing dead letters) is not
 * committed: the consumer seeks back to the batch's first offsets and polls it again after a
 * growing pause, so nothing is skipped and the consumer stays in its group. Because the writer is
 * idempotent, a batch written twice (after a crash or a lost commit) changes nothing.
 *
 * <p>Runs on one thread; {@link #shutdown()} may be called from any thread.
 */
final class ConsumerLoop implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

  private final Consumer<String, byte[]> consumer;
  private final Producer<String, byte[]> deadLetters;
  private final IndexerConfig config;
  private final EventParser parser;
  private final BatchWriter writer;
  private final IndexerStats stats;
  private final IndexerMetrics metrics;
  private final Enricher enricher;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final Set<Integer> assigned = ConcurrentHashMap.newKeySet();
  private volatile boolean running = true;

  /** @param enricher where applied creates go for HeadObject, or null without enrichment */
  ConsumerLoop(Consumer<String, byte[]> consumer, Producer<String, byte[]> deadLetters,
      IndexerConfig config, EventParser parser, BatchWriter writer, IndexerStats stats,
      IndexerMetrics metrics, Enricher enricher) {
    this.consumer = consumer;
    this.deadLetters = deadLetters;
    this.config = config;
    this.parser = parser;
    this.writer = writer;
    this.stats = stats;
    this.metrics = metrics;
    this.enricher = enricher;
  }

  /**
   * On assignment, resume each partition from the offset stored with the data when it is ahead
   * of Kafka's committed one (the process stopped between the database commit and the offset
   * commit): the index is the source of truth, so a restart re-applies nothing.
   */
  private final ConsumerRebalanceListener resumeFromIndex = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // Nothing to flush: every batch is committed before the next poll.
      partitions.forEach(p -> assigned.remove(p.partition()));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(p -> assigned.remove(p.partition()));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      Map<Integer, Long> stored;
      try {
        stored = writer.storedOffsets(config.groupId(), config.topic());
      } catch (RuntimeException e) {
        log.warn("cannot read stored offsets ({}); resuming from Kafka's committed offsets", e.toString());
        return;
      }
      partitions.forEach(p -> assigned.add(p.partition()));
      for (TopicPartition partition : partitions) {
        Long next = stored.get(partition.partition());
        if (next != null) {
          consumer.seek(partition, next);
        }
      }
      log.info("assigned {} partition(s) of {}: {}", partitions.size(), config.topic(),
          partitions.stream().map(TopicPartition::partition).sorted().toList());
    }
  };

  @Override
  public void run() {
    Duration backoff = FIRST_BACKOFF;
    try {
      consumer.subscribe(List.of(config.topic()), resumeFromIndex);
      log.info("consuming topic {} as group {}", config.topic(), config.groupId());
      while (running) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL_TIMEOUT);
        recordLag();
        if (records.isEmpty()) {
          continue;
        }
        try {
          handle(records);
          backoff = FIRST_BACKOFF;
        } catch (RuntimeException e) {
          if (!running) {
            break;
          }
          stats.batchFailed(e);
          log.warn("batch of {} records not written ({}); retrying in {} ms",
              records.count(), e.toString(), backoff.toMillis());
          rewind(records);
          pause(backoff);
          backoff = min(backoff.multipliedBy(2), config.maxBackoff());
        }
      }
    } catch (WakeupException e) {
      if (running) {
        throw e;
      }
      // Woken up by shutdown(): leave the loop.
    } finally {
      consumer.close(Duration.ofSeconds(5));
      log.info("consumer closed");
    }
  }

  private void handle(ConsumerRecords<String, byte[]> records) {
    long started = System.nanoTime();
    List<ObjectEvent> events = new ArrayList<>(records.count());
    List<Future<RecordMetadata>> dead = new ArrayList<>();
    Map<TopicPartition, Instant> newest = new HashMap<>();
    int skipped = 0;
    for (ConsumerRecord<String, byte[]> record : records) {
      try {
        ParsedMessage parsed = parser.parse(record.value());
        events.addAll(parsed.events());
        skipped += parsed.skipped();
        for (ObjectEvent e : parsed.events()) {
          newest.merge(new TopicPartition(record.topic(), record.partition()), e.eventTime(),
              (a, b) -> a.isAfter(b) ? a : b);
        }
      } catch (InvalidEventException e) {
        log.warn("dead-lettering {}-{}@{}: {}", record.topic(), record.partition(),
            record.offset(), e.getMessage());
        dead.add(deadLetters.send(deadLetter(record, e.getMessage())));
      }
    }
    long parsed = System.nanoTime();
    List<PartitionProgress> progress = new ArrayList<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> batch = records.records(partition);
      progress.add(new PartitionProgress(config.groupId(), partition.topic(), partition.partition(),
          batch.get(batch.size() - 1).offset() + 1, newest.get(partition)));
    }
    ApplyResult result = writer.apply(events, progress);
    long written = System.nanoTime();
    awaitDeadLetters(dead);
    commit(records);
    stats.stages(parsed - started, written - parsed, System.nanoTime() - written);
    if (enricher != null && !result.toEnrich().isEmpty()) {
      enricher.submit(result.toEnrich());
    }
    long nanos = System.nanoTime() - started;
    stats.batchApplied(records.count(), result, skipped, dead.size(), nanos);
    metrics.recordBatch(nanos);
    log.debug("batch: {} records, {} events, {} applied, {} stale, {} skipped, {} dead-lettered",
        records.count(), events.size(), result.applied(), result.stale(), skipped, dead.size());
  }

  private ProducerRecord<String, byte[]> deadLetter(ConsumerRecord<String, byte[]> record,
      String error) {
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    headers.add("s3index.error", error.getBytes(StandardCharsets.UTF_8));
    headers.add("s3index.source.topic", record.topic().getBytes(StandardCharsets.UTF_8));
    headers.add("s3index.source.partition",
        String.valueOf(record.partition()).getBytes(StandardCharsets.UTF_8));
    headers.add("s3index.source.offset",
        String.valueOf(record.offset()).getBytes(StandardCharsets.UTF_8));
    headers.add("s3index.failed.at", Instant.now().toString().getBytes(StandardCharsets.UTF_8));
    return new ProducerRecord<>(config.deadLetterTopic(), null, record.key(), record.value(),
        headers);
  }

  private static void awaitDeadLetters(List<Future<RecordMetadata>> dead) {
    for (Future<RecordMetadata> future : dead) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while dead-lettering", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("dead letter not accepted by the broker", e);
      }
    }
  }

  private void commit(ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> batch = records.records(partition);
      offsets.put(partition, new OffsetAndMetadata(batch.get(batch.size() - 1).offset() + 1));
    }
    try {
      consumer.commitSync(offsets);
    } catch (CommitFailedException e) {
      // The group rebalanced while we wrote: another member re-reads these records and
      // re-applies them, which the sequencer guard makes harmless.
      log.warn("offset commit lost to a rebalance; the batch will be re-applied elsewhere");
    }
  }

  private void recordLag() {
    for (TopicPartition partition : consumer.assignment()) {
      OptionalLong lag = consumer.currentLag(partition);
      if (lag.isPresent()) {
        metrics.lag(partition, lag.getAsLong());
      }
    }
  }

  private void rewind(ConsumerRecords<String, byte[]> records) {
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
