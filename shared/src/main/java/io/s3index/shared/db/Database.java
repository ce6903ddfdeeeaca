package io.s3index.shared.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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

  /** Applies pending migrations; returns how many ran. */
  public int migrate() {
    return Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .load()
        .migrate()
        .migrationsExecuted;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
