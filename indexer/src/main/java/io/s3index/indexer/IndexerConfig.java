package io.s3index.indexer;

import io.s3index.indexer.enrich.S3Settings;
import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import io.s3index.shared.db.DatabaseConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
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
 * @param s3 the object store for enrichment ({@code S3INDEX_S3_ENDPOINT}, {@code
 *     S3INDEX_S3_REGION}, {@code S3INDEX_S3_ACCESS_KEY}, {@code S3INDEX_S3_SECRET_KEY}, {@code
 *     S3INDEX_S3_PATH_STYLE}), or null when none is configured
 * @param enrich HeadObject each applied create ({@code S3INDEX_ENRICH}; default: on when an S3
 *     endpoint or region is configured)
 * @param enrichConcurrency parallel HeadObject calls ({@code S3INDEX_ENRICH_CONCURRENCY}, default 16)
 * @param enrichTags with enrichment, also GetObjectTagging beside each HeadObject, and for every
 *     tagging event ({@code S3INDEX_ENRICH_TAGS}, default false: one more request per create)
 * @param metricsPort Prometheus metrics port ({@code S3INDEX_INDEXER_METRICS_PORT}, default
 *     9400; 0 = any free port, -1 = off)
 * @param stallTimeout how long a partition's batch may go unwritten before the health check says
 *     the indexer is stuck ({@code S3INDEX_STALL_TIMEOUT}, default 60s)
 * @param consumerOverrides extra Kafka consumer properties, from {@code S3INDEX_KAFKA_CONSUMER_*}
 *     ({@code S3INDEX_KAFKA_CONSUMER_SESSION_TIMEOUT_MS=10000} is {@code session.timeout.ms});
 *     the ones the indexer's correctness depends on cannot be overridden
 */
public record IndexerConfig(
    String bootstrapServers,
    String topic,
    String groupId,
    int maxPollRecords,
    Duration maxBackoff,
    boolean migrate,
    DatabaseConfig database,
    S3Settings s3,
    boolean enrich,
    int enrichConcurrency,
    boolean enrichTags,
    int metricsPort,
    Duration stallTimeout,
    Map<String, String> consumerOverrides) {

  /** Consumer properties the indexer's delivery guarantees rest on. */
  static final java.util.Set<String> FIXED = java.util.Set.of("enable.auto.commit", "group.id",
      "key.deserializer", "value.deserializer", "bootstrap.servers", "max.poll.records");

  private static final java.util.regex.Pattern LEGAL_TOPIC =
      java.util.regex.Pattern.compile("[a-zA-Z0-9._-]{1,245}");

  public static final String DEFAULT_TOPIC = "s3-events";
  public static final String DEFAULT_GROUP = "s3index-indexer";

  public IndexerConfig {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(database, "database");
    // Kafka refuses other names only once the consumer polls; the dead-letter topic adds ".dlq".
    if (!LEGAL_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      throw new ConfigException("S3INDEX_TOPIC must be a Kafka topic name, 1 to 245 of a-z A-Z 0-9 . _ -: '"
          + topic + "'");
    }
    if (topic.endsWith(".dlq")) {
      throw new ConfigException(
          "S3INDEX_TOPIC must be the events topic, not a dead-letter topic: " + topic);
    }
    Objects.requireNonNull(stallTimeout, "stallTimeout");
    if (stallTimeout.isNegative() || stallTimeout.isZero()) {
      throw new ConfigException("S3INDEX_STALL_TIMEOUT must be positive: " + stallTimeout);
    }
    consumerOverrides = Map.copyOf(consumerOverrides);
    for (String fixed : FIXED) {
      if (consumerOverrides.containsKey(fixed)) {
        throw new ConfigException("S3INDEX_KAFKA_CONSUMER_* cannot set " + fixed
            + "; use the indexer's own setting for it");
      }
    }
    if (enrich && s3 == null) {
      throw new ConfigException("S3INDEX_ENRICH=true needs S3INDEX_S3_ENDPOINT (or S3INDEX_S3_REGION for AWS)");
    }
    if (enrichTags && !enrich) {
      throw new ConfigException("S3INDEX_ENRICH_TAGS=true needs enrichment (S3INDEX_ENRICH and an S3 endpoint or region)");
    }
  }

  public static IndexerConfig from(Settings settings) {
    String endpoint = settings.string("S3INDEX_S3_ENDPOINT", null);
    String region = settings.string("S3INDEX_S3_REGION", null);
    String accessKey = settings.string("S3INDEX_S3_ACCESS_KEY", null);
    String secretKey = settings.string("S3INDEX_S3_SECRET_KEY", null);
    if ((accessKey == null) != (secretKey == null)) {
      throw new ConfigException("set both S3INDEX_S3_ACCESS_KEY and S3INDEX_S3_SECRET_KEY, or neither");
    }
    S3Settings s3 = null;
    if (endpoint != null || region != null) {
      URI uri = null;
      if (endpoint != null) {
        try {
          uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
          throw new ConfigException("S3INDEX_S3_ENDPOINT is not a URL: " + endpoint);
        }
        if (uri.getScheme() == null || uri.getHost() == null) {
          throw new ConfigException("S3INDEX_S3_ENDPOINT must look like http://host:port, not " + endpoint);
        }
      }
      s3 = new S3Settings(uri, region == null ? "us-east-1" : region, accessKey, secretKey,
          settings.bool("S3INDEX_S3_PATH_STYLE", endpoint != null));
    }
    return new IndexerConfig(
        settings.string("S3INDEX_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
        settings.string("S3INDEX_TOPIC", DEFAULT_TOPIC),
        settings.string("S3INDEX_GROUP_ID", DEFAULT_GROUP),
        settings.integer("S3INDEX_MAX_POLL_RECORDS", 5000, 1, 100_000),
        settings.duration("S3INDEX_MAX_BACKOFF", Duration.ofSeconds(10)),
        settings.bool("S3INDEX_DB_MIGRATE", true),
        DatabaseConfig.from(settings, 2),
        s3,
        settings.bool("S3INDEX_ENRICH", s3 != null),
        settings.integer("S3INDEX_ENRICH_CONCURRENCY", 16, 1, 256),
        settings.bool("S3INDEX_ENRICH_TAGS", false),
        settings.integer("S3INDEX_INDEXER_METRICS_PORT", 9400, -1, 65535),
        settings.duration("S3INDEX_STALL_TIMEOUT", Duration.ofSeconds(60)),
        settings.properties("S3INDEX_KAFKA_CONSUMER_"));
  }

  /** Defaults against another broker, topic and database, without enrichment or metrics port. */
  public static IndexerConfig of(String bootstrapServers, String topic, DatabaseConfig database) {
    return new IndexerConfig(bootstrapServers, topic, DEFAULT_GROUP, 5000,
        Duration.ofSeconds(10), true, database, null, false, 16, false, -1, Duration.ofSeconds(60), Map.of());
  }

  /** The same settings with another consumer group. */
  public IndexerConfig withGroupId(String otherGroupId) {
    return new IndexerConfig(bootstrapServers, topic, otherGroupId, maxPollRecords, maxBackoff,
        migrate, database, s3, enrich, enrichConcurrency, enrichTags, metricsPort, stallTimeout, consumerOverrides);
  }

  /** The same settings, enriching from {@code store}. */
  public IndexerConfig withEnrichment(S3Settings store) {
    return new IndexerConfig(bootstrapServers, topic, groupId, maxPollRecords, maxBackoff,
        migrate, database, store, true, enrichConcurrency, enrichTags, metricsPort, stallTimeout, consumerOverrides);
  }

  /** The same settings, with GetObjectTagging beside HeadObject or not (needs enrichment). */
  public IndexerConfig withTagEnrichment(boolean tags) {
    return new IndexerConfig(bootstrapServers, topic, groupId, maxPollRecords, maxBackoff,
        migrate, database, s3, enrich, enrichConcurrency, tags, metricsPort, stallTimeout, consumerOverrides);
  }

  /** The same settings with metrics on {@code port} (0 = any free port, -1 = off). */
  public IndexerConfig withMetricsPort(int port) {
    return new IndexerConfig(bootstrapServers, topic, groupId, maxPollRecords, maxBackoff,
        migrate, database, s3, enrich, enrichConcurrency, enrichTags, port, stallTimeout, consumerOverrides);
  }

  /** The same settings with another batch size. */
  public IndexerConfig withMaxPollRecords(int records) {
    return new IndexerConfig(bootstrapServers, topic, groupId, records, maxBackoff,
        migrate, database, s3, enrich, enrichConcurrency, enrichTags, metricsPort, stallTimeout, consumerOverrides);
  }

  /** The same settings with another stall timeout. */
  public IndexerConfig withStallTimeout(Duration timeout) {
    return new IndexerConfig(bootstrapServers, topic, groupId, maxPollRecords, maxBackoff,
        migrate, database, s3, enrich, enrichConcurrency, enrichTags, metricsPort, timeout, consumerOverrides);
  }

  /** The same settings with another longest backoff between retries. */
  public IndexerConfig withMaxBackoff(Duration backoff) {
    return new IndexerConfig(bootstrapServers, topic, groupId, maxPollRecords, backoff,
        migrate, database, s3, enrich, enrichConcurrency, enrichTags, metricsPort, stallTimeout, consumerOverrides);
  }

  /** Dead letters go to {@code <topic>.dlq}. */
  public String deadLetterTopic() {
    return topic + ".dlq";
  }
}
