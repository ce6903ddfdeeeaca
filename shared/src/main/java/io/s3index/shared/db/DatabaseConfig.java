package io.s3index.shared.db;

import io.s3index.shared.config.Settings;
import java.util.Objects;

/**
 * Where the index lives. {@code password} is never printed by {@link #toString()}.
 *
 * @param jdbcUrl PostgreSQL JDBC URL
 * @param maxPoolSize connections this process may hold
 */
public record DatabaseConfig(String jdbcUrl, String user, String password, int maxPoolSize) {

  public static final String DEFAULT_URL = "jdbc:postgresql://localhost:5432/s3index";

  public DatabaseConfig {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new io.s3index.shared.config.ConfigException(
          "the database URL must start with jdbc:postgresql:, not " + jdbcUrl.split("\\?")[0]);
    }
    if (maxPoolSize < 1) {
      throw new IllegalArgumentException("maxPoolSize must be at least 1");
    }
  }

  /** Reads {@code S3INDEX_DB_URL}, {@code S3INDEX_DB_USER}, {@code S3INDEX_DB_PASSWORD}, {@code S3INDEX_DB_POOL_SIZE}. */
  public static DatabaseConfig from(Settings settings, int defaultPoolSize) {
    return new DatabaseConfig(
        settings.string("S3INDEX_DB_URL", DEFAULT_URL),
        settings.string("S3INDEX_DB_USER", "s3index"),
        settings.string("S3INDEX_DB_PASSWORD", "s3index"),
        settings.integer("S3INDEX_DB_POOL_SIZE", defaultPoolSize, 1, 200));
  }

  @Override
  public String toString() {
    return "DatabaseConfig[jdbcUrl=" + jdbcUrl + ", user=" + user + ", maxPoolSize=" + maxPoolSize + "]";
  }
}
