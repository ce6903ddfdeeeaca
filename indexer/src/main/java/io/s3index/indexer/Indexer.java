package io.s3index.indexer;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.batch.BatchHandler;
import io.s3index.indexer.enrich.Enricher;
import io.s3index.shared.db.Database;
import io.s3index.shared.events.EventParser;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The indexer's composition root: builds the consumer, the dead-letter producer, the parser and
 * the batch writer from its config, and runs the consumer loop on its own thread until closed.
 */
public final class Indexer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Indexer.class);

  private final Database database;
  private final boolean ownsDatabase;
  private final KafkaProducer<byte[], byte[]> deadLetters;
  private final ConsumerLoop loop;
  private final Thread thread;
  private final IndexerStats stats = new IndexerStats();
  private final IndexerMetrics metrics;
  private final Enricher enricher;
  private volatile Throwable failure;
  private final Duration stallTimeout;

  private Indexer(IndexerConfig config, Database database, boolean ownsDatabase) {
    this.database = database;
    this.ownsDatabase = ownsDatabase;
    if (config.migrate()) {
      int ran = database.migrate();
      if (ran > 0) {
        log.info("applied {} schema migration(s)", ran);
      }
    }
    this.stallTimeout = config.stallTimeout();
    this.deadLetters = new KafkaProducer<>(producerConfig(config), new ByteArraySerializer(),
        new ByteArraySerializer());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig(config),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.metrics = new IndexerMetrics(stats, config.metricsPort(), this::problem);
    this.enricher = config.enrich()
        ? new Enricher(config.s3().client(config.enrichConcurrency() * 2), database.jdbi(),
            Enricher.Settings.defaults(config.enrichConcurrency()).withTags(config.enrichTags()), stats)
        : null;
    BatchWriter writer = new BatchWriter(database.jdbi(), config.enrich(), config.enrichTags(), BatchWriter.Target.LIVE);
    this.loop = new ConsumerLoop(consumer, config, writer,
        new BatchHandler(config.groupId(), new EventParser(), writer::write),
        new DeadLetterOutbox(database.jdbi(), config.groupId(), config.topic(), config.deadLetterTopic(), deadLetters),
        stats, metrics, enricher);
    this.thread = new Thread(loop, "indexer-" + config.topic());
    this.thread.setUncaughtExceptionHandler((t, e) -> {
      failure = e;
      log.error("indexer loop died; restart the indexer", e);
    });
  }

  /** Starts an indexer with its own connection pool. */
  public static Indexer start(IndexerConfig config) {
    Database database = new Database(config.database(), "indexer");
    try {
      return start(config, database, true);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /** Starts an indexer on a pool the caller owns and closes. */
  public static Indexer start(IndexerConfig config, Database database) {
    return start(config, database, false);
  }

  private static Indexer start(IndexerConfig config, Database database, boolean owns) {
    Indexer indexer = new Indexer(config, database, owns);
    indexer.thread.start();
    return indexer;
  }

  public IndexerStats stats() {
    return stats;
  }

  /** The port of the metrics endpoint, or -1 when it is off. */
  public int metricsPort() {
    return metrics.port();
  }

  /** The partitions of the events topic this instance holds now. */
  public java.util.Set<Integer> assignment() {
    return loop.assignment();
  }

  /** True while the consumer loop runs. */
  public boolean isRunning() {
    return thread.isAlive();
  }

  /** What ended the consumer loop unexpectedly, or null while it runs and after a clean stop. */
  public Throwable failure() {
    return failure;
  }

  /**
   * Why the indexer is unhealthy, or null when it is healthy: its consumer loop died, or a
   * partition's batch has gone unwritten for longer than the stall timeout.
   */
  public String problem() {
    if (failure != null) {
      return "the consumer loop died: " + failure;
    }
    Map<Integer, Duration> stuck = stats.stuckLongerThan(stallTimeout);
    if (!stuck.isEmpty()) {
      return "partition(s) " + stuck.keySet() + " stuck for " + stuck.values().stream()
          .map(d -> d.toSeconds() + " s").toList() + " (longer than " + stallTimeout.toSeconds()
          + " s); the last failure: " + stats.lastFailure();
    }
    return null;
  }

  /** One line: what the loop consumed so far, its last failed batch, and whether it died. */
  public String describe() {
    return stats + (failure == null ? "" : "; the consumer loop died: " + failure);
  }

  private static Map<String, Object> consumerConfig(IndexerConfig config) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "s3index-indexer");
    // Let one poll fill a whole batch: notifications are ~1 KB, so 1 MB per partition (the
    // default) would cap batches well below max.poll.records.
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    c.putAll(config.consumerOverrides());
    return c;
  }

  private static Map<String, Object> producerConfig(IndexerConfig config) {
    return io.s3index.shared.events.ProducerSettings.durable(config.bootstrapServers(), "s3index-indexer-dlq");
  }

  /** Stops after the batch in hand, commits what was written, and releases everything. */
  @Override
  public void close() {
    loop.shutdown();
    try {
      thread.join(Duration.ofSeconds(30).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deadLetters.close(Duration.ofSeconds(5));
    if (enricher != null) {
      enricher.close();
    }
    metrics.close();
    if (ownsDatabase) {
      database.close();
    }
    log.info("indexer stopped: {}", describe());
  }
}
