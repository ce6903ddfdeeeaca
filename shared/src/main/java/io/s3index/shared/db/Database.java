package io.s3index.shared.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.s3index.shared.config.Settings;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/**
 * The connection pool and Jdbi for one process. Schema changes happen only through {@link
 * #migrate()}, which applies the Flyway migrations shipped in this module.
 *
 * <p>Thread-safe. Closing it closes the pool.
 */
public final class Database implements AutoCloseable {

  /** Hash partitions of a new database's objects table unless configured. */
  public static final int DEFAULT_PARTITIONS = 16;
  public static final int MAX_PARTITIONS = 1000;

  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final DatabaseConfig config;

  public Database(DatabaseConfig config, String poolName) {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(config.jdbcUrl());
    hikari.setUsername(config.user());
    hikari.setPassword(config.password());
    hikari.setMaximumPoolSize(config.maxPoolSize());
    hikari.setMinimumIdle(1);
    hikari.setPoolName(poolName);
    // Fail fast when the database is away: callers classify and retry, the pool must not hang.
    hikari.setConnectionTimeout(2_000);
    hikari.setValidationTimeout(2_000);
    // Start even if the database is not up yet; readiness and retries report it.
    hikari.setInitializationFailTimeout(-1);
    this.config = config;
    this.dataSource = new HikariDataSource(hikari);
    this.jdbi = Jdbi.create(dataSource).installPlugin(new SqlObjectPlugin());
  }

  /** Where this pool connects. */
  public DatabaseConfig config() {
    return config;
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Applies pending migrations; returns how many ran. A new database's {@code objects} gets
   * {@code S3INDEX_DB_PARTITIONS} hash partitions (default {@value #DEFAULT_PARTITIONS}).
   */
  public int migrate() {
    return migrate(Settings.fromEnvironment().integer("S3INDEX_DB_PARTITIONS", DEFAULT_PARTITIONS, 0, MAX_PARTITIONS));
  }

  /**
   * Applies pending migrations; a new database's {@code objects} gets {@code partitions} hash
   * partitions by bucket (0: one plain table). An existing table is moved only by {@code ops
   * migrate --partitions}.
   */
  public int migrate(int partitions) {
    if (partitions < 0 || partitions > MAX_PARTITIONS) {
      throw new IllegalArgumentException("partitions must be between 0 and " + MAX_PARTITIONS + ", not " + partitions);
    }
    return Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .placeholders(Map.of("partitions", Integer.toString(partitions)))
        .load()
        .migrate()
        .migrationsExecuted;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
