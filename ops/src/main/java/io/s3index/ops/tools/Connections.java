package io.s3index.ops.tools;

import io.s3index.indexer.IndexerConfig;
import io.s3index.indexer.enrich.S3Settings;
import io.s3index.shared.config.Settings;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.net.URI;
import picocli.CommandLine.Option;

/**
 * Where the operator tools connect: flags, each defaulting to the environment variable the
 * services read, then to the embedded mode's address.
 */
public final class Connections {

  @Option(names = "--db-url", description = "PostgreSQL JDBC URL (default: $S3INDEX_DB_URL or the dev database)")
  String dbUrl;

  @Option(names = "--db-user", description = "database user (default: $S3INDEX_DB_USER or postgres)")
  String dbUser;

  @Option(names = "--db-password", description = "database password (default: $S3INDEX_DB_PASSWORD or postgres)")
  String dbPassword;

  @Option(names = "--bootstrap-servers", description = "Kafka (default: $S3INDEX_KAFKA_BOOTSTRAP_SERVERS or localhost:9092)")
  String bootstrapServers;

  @Option(names = "--topic", description = "events topic (default: $S3INDEX_TOPIC or s3-events)")
  String topic;

  @Option(names = "--group", description = "the indexer's consumer group (default: $S3INDEX_GROUP_ID or s3index-indexer)")
  String group;

  @Option(names = "--s3-endpoint", description = "S3 endpoint (default: $S3INDEX_S3_ENDPOINT or http://localhost:9000)")
  String s3Endpoint;

  @Option(names = "--s3-region", description = "S3 region (default: $S3INDEX_S3_REGION or us-east-1)")
  String s3Region;

  @Option(names = "--s3-access-key", description = "S3 access key (default: $S3INDEX_S3_ACCESS_KEY or the dev key)")
  String s3AccessKey;

  @Option(names = "--s3-secret-key", description = "S3 secret key (default: $S3INDEX_S3_SECRET_KEY or the dev key)")
  String s3SecretKey;

  private final Settings env = Settings.fromEnvironment();

  private String pick(String flag, String variable, String fallback) {
    return flag != null ? flag : env.string(variable, fallback);
  }

  public DatabaseConfig database() {
    return new DatabaseConfig(
        pick(dbUrl, "S3INDEX_DB_URL", "jdbc:postgresql://localhost:5432/s3index"),
        pick(dbUser, "S3INDEX_DB_USER", "postgres"),
        pick(dbPassword, "S3INDEX_DB_PASSWORD", "postgres"), 4);
  }

  /** A pool on the index database; fails with one readable line when it cannot be reached. */
  public Database openDatabase() {
    DatabaseConfig config = database();
    Database database = new Database(config, "ops");
    try {
      database.jdbi().useHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
    } catch (RuntimeException e) {
      database.close();
      throw new IllegalStateException("cannot reach the database at " + config.jdbcUrl().split("\\?")[0]);
    }
    return database;
  }

  public String bootstrapServers() {
    return pick(bootstrapServers, "S3INDEX_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
  }

  public String topic() {
    return pick(topic, "S3INDEX_TOPIC", IndexerConfig.DEFAULT_TOPIC);
  }

  public String group() {
    return pick(group, "S3INDEX_GROUP_ID", IndexerConfig.DEFAULT_GROUP);
  }

  public S3Settings s3() {
    String endpoint = pick(s3Endpoint, "S3INDEX_S3_ENDPOINT", "http://localhost:9000");
    return new S3Settings(URI.create(endpoint), pick(s3Region, "S3INDEX_S3_REGION", "us-east-1"),
        pick(s3AccessKey, "S3INDEX_S3_ACCESS_KEY", "s3index"),
        pick(s3SecretKey, "S3INDEX_S3_SECRET_KEY", "s3index-secret"), true);
  }
}
