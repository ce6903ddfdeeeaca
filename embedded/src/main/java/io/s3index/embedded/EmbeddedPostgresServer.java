package io.s3index.embedded;

import io.s3index.shared.db.DatabaseConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server from binaries shipped as Maven artifacts (zonky), as a child process
 * owned by this JVM. Tests isolate themselves with {@link #createDatabase(String)}.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

  private final EmbeddedPostgres postgres;
  private final List<String> settings;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, List<String> settings) {
    this.postgres = postgres;
    this.settings = settings;
  }

  /**
   * Starts a server that trades durability for speed ({@code fsync}, {@code synchronous_commit}
   * and {@code full_page_writes} off): for tests that do not test durability. A crash of it (or
   * of one of its backends) loses its last commits.
   *
   * @param port the port, or 0 for a free one
   * @param dataDir where to keep the data, or null for a temporary folder removed on close
   */
  public static EmbeddedPostgresServer start(int port, Path dataDir) {
    return start(port, dataDir, false);
  }

  /**
   * Starts a server.
   *
   * @param port the port, or 0 for a free one
   * @param dataDir where to keep the data, or null for a temporary folder removed on close
   * @param durable PostgreSQL's own defaults ({@code fsync}, {@code synchronous_commit}, {@code
   *     full_page_writes} on), so that a commit survives a crash as in production; otherwise off
   */
  public static EmbeddedPostgresServer start(int port, Path dataDir, boolean durable) {
    try {
      String onOff = durable ? "on" : "off";
      Map<String, String> config = new LinkedHashMap<>();
      config.put("max_connections", "200");
      config.put("fsync", onOff);
      config.put("synchronous_commit", onOff);
      config.put("full_page_writes", onOff);
      config.put("shared_buffers", "256MB");
      config.put("timezone", "UTC");
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPGStartupWait(Duration.ofSeconds(60));
      config.forEach(builder::setServerConfig);
      if (port != 0) {
        builder.setPort(port);
      }
      if (dataDir != null) {
        builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
      }
      EmbeddedPostgresServer server = new EmbeddedPostgresServer(builder.start(),
          config.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
      log.info("PostgreSQL listening on localhost:{} ({})", server.port(),
          durable ? "durable: fsync and synchronous commit on" : "fast: fsync and synchronous commit off");
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  /**
   * Starts a hot standby of this server that streams its WAL (through the physical replication
   * slot {@code slot}), on a free port, with this server's settings.
   */
  public EmbeddedReplica startReplica(String slot) {
    if (!DATABASE_NAME.matcher(slot).matches()) {
      throw new IllegalArgumentException("not a plain slot name: " + slot);
    }
    return EmbeddedReplica.start(this, slot, settings);
  }

  /** Creates a database (if absent) and returns how to reach it as the superuser. */
  public DatabaseConfig createDatabase(String name) {
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a plain database name: " + name);
    }
    try (Connection c = postgres.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      // The name is checked against a strict pattern above; CREATE DATABASE takes no parameters.
      var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
      if (!rs.next()) {
        s.execute("CREATE DATABASE " + name);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return config(name);
  }

  /** How to reach a database of this server as the superuser. */
  public DatabaseConfig config(String database) {
    return new DatabaseConfig(
        "jdbc:postgresql://localhost:" + port() + "/" + database, "postgres", "postgres", 10);
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop the embedded PostgreSQL", e);
    }
  }
}
