package io.s3index.indexer;

import io.s3index.shared.config.Settings;
import io.s3index.shared.db.DatabaseConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the indexer needs, read once at start from environment variables.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code S3INDEX_KAFKA_BOOTSTRAP_SERVERS},
 *     default {@code localhost:9092})
 * @param topic events topic ({@code S3INDEX_TOPIC}, default {@code s3-events})
 * @param groupId consumer group ({@code S3INDEX_GROUP_ID}, default {@code s3index-indexer})
 * @param maxPollRecords largest batch ({@code S3INDEX_MAX_POLL_RECORDS}, default 5000)
 * @param maxBackoff longest pause between retries of a failed batch ({@code
 *     S3INDEX_MAX_BACKOFF}, default 10s)
 * @param migrate apply schema migrations at start ({@code S3INDEX_DB_MIGRATE}, default true)
 */
public record IndexerConfig(
    String bootstrapServers,
    String topic,
    String groupId,
    int maxPollRecords,
    Duration maxBackoff,
    boolean migrate,
    DatabaseConfig database) {

  public static final String DEFAULT_TOPIC = "s3-events";
  public static final String DEFAULT_GROUP = "s3index-indexer";

  public IndexerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(database, "database");
    if (topic.endsWith(".dlq")) {
      throw new io.s3index.shared.config.ConfigException(
          "S3INDEX_TOPIC must be the events topic, not a dead-letter topic: " + topic);
    }
  }

  public static IndexerConfig from(Settings settings) {
    return new IndexerConfig(
        settings.string("S3INDEX_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
        settings.string("S3INDEX_TOPIC", DEFAULT_TOPIC),
        settings.string("S3INDEX_GROUP_ID", DEFAULT_GROUP),
        settings.integer("S3INDEX_MAX_POLL_RECORDS", 5000, 1, 100_000),
        settings.duration("S3INDEX_MAX_BACKOFF", Duration.ofSeconds(10)),
        settings.bool("S3INDEX_DB_MIGRATE", true),
        DatabaseConfig.from(settings, 2));
  }

  /** The same settings against another broker, topic and database (for tests and ops dev). */
  public static IndexerConfig of(String bootstrapServers, String topic, DatabaseConfig database) {
    return new IndexerConfig(bootstrapServers, topic, DEFAULT_GROUP, 5000,
        Duration.ofSeconds(10), true, database);
  }

  /** The same settings with another consumer group. */
  public IndexerConfig withGroupId(String otherGroupId) {
    return new IndexerConfig(bootstrapServers, topic, otherGroupId, maxPollRecords, maxBackoff,
        migrate, database);
  }

  /** Dead letters go to {@code <topic>.dlq}. */
  public String deadLetterTopic() {
    return topic + ".dlq";
  }
}
