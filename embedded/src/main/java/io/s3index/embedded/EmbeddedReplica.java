package io.s3index.embedded;

import io.s3index.shared.db.DatabaseConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hot standby of an {@link EmbeddedPostgresServer}, streaming its WAL, from the same binaries:
 * made the way PostgreSQL documents for a base backup without {@code pg_basebackup} (a physical
 * replication slot, {@code pg_backup_start}, a copy of the data directory, {@code pg_backup_stop}'s
 * backup label, {@code standby.signal} and {@code primary_conninfo}). Its replay can be paused, to
 * hold it behind the primary deterministically, and it can be stopped while in use.
 */
public final class EmbeddedReplica implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedReplica.class);
  /** What a base backup leaves out: the server's own runtime state and its WAL. */
  private static final Set<String> SKIPPED = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
      "tablespace_map", "standby.signal", "recovery.signal");
  private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
      "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans", "log");

  private final EmbeddedPostgresServer primary;
  private final Path binDir;
  private final Path dataDir;
  private final String slot;
  private final int port;
  private Process process;

  private EmbeddedReplica(EmbeddedPostgresServer primary, Path binDir, Path dataDir, String slot, int port) {
    this.primary = primary;
    this.binDir = binDir;
    this.dataDir = dataDir;
    this.slot = slot;
    this.port = port;
  }

  static EmbeddedReplica start(EmbeddedPostgresServer primary, String slot, List<String> settings) {
    try (Connection c = DriverManager.getConnection(primary.config("postgres").jdbcUrl(), "postgres", "postgres");
        Statement s = c.createStatement()) {
      Path bin = Path.of(one(s, "SELECT setting FROM pg_config WHERE name = 'BINDIR'"));
      Path source = Path.of(one(s, "SHOW data_directory"));
      Path target = Files.createTempDirectory("epg-replica-");
      // The slot keeps the primary's WAL from the backup's start until the replica has it.
      s.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
      s.execute("SELECT pg_backup_start('" + slot + "', true)");
      copy(source, target);
      String label = one(s, "SELECT labelfile FROM pg_backup_stop(false)");
      Files.writeString(target.resolve("backup_label"), label);
      Files.writeString(target.resolve("standby.signal"), "");
      Files.writeString(target.resolve("postgresql.auto.conf"), String.join("\n",
          "primary_conninfo = 'host=localhost port=" + primary.port() + " user=postgres application_name=" + slot + "'",
          "primary_slot_name = '" + slot + "'", "hot_standby = on", "hot_standby_feedback = on",
          "wal_receiver_status_interval = 1s", "") , StandardOpenOption.APPEND);
      EmbeddedReplica replica = new EmbeddedReplica(primary, bin, target, slot, freePort());
      replica.launch(settings);
      return replica;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot make a replica: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a replica", e);
    }
  }

  private void launch(List<String> settings) throws IOException {
    List<String> command = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare"))) {
      // PostgreSQL refuses to run as root: in a user namespace of its own it does not (as zonky
      // starts the primary).
      command.addAll(List.of("/usr/bin/unshare", "-U"));
    }
    command.addAll(List.of(binDir.resolve("postgres").toString(), "-D", dataDir.toString(),
        "-p", Integer.toString(port)));
    for (String setting : settings) {
      command.add("-c");
      command.add(setting);
    }
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dataDir.resolve("replica.log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try (Connection c = connect(); Statement s = c.createStatement()) {
        if ("t".equals(one(s, "SELECT pg_is_in_recovery()"))) {
          log.info("PostgreSQL replica listening on localhost:{}, streaming from localhost:{}", port, primary.port());
          return;
        }
      } catch (SQLException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the replica did not start: " + Files.readString(dataDir.resolve("replica.log")), e);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while starting the replica", interrupted);
        }
      }
    }
  }

  public int port() {
    return port;
  }

  /** How to reach a database of the replica (read only) as the superuser. */
  public DatabaseConfig config(String database) {
    return new DatabaseConfig("jdbc:postgresql://localhost:" + port + "/" + database, "postgres", "postgres", 10);
  }

  /** Stops applying WAL (it still receives it): the replica stays where it is until resumed. */
  public void pauseReplay() {
    execute("SELECT pg_wal_replay_pause()");
  }

  public void resumeReplay() {
    execute("SELECT pg_wal_replay_resume()");
  }

  /** The WAL position the replica has applied. */
  public String replayLsn() {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      return one(s, "SELECT pg_last_wal_replay_lsn()::text");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops the replica's server (fast shutdown: clients are disconnected); its data stays until {@link #close()}. */
  public void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the server stops at once.
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
          .waitFor(10, TimeUnit.SECONDS);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
    try (Connection c = DriverManager.getConnection(primary.config("postgres").jdbcUrl(), "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    } catch (SQLException e) {
      log.warn("replication slot {} not dropped: {}", slot, e.getMessage());
    }
    try {
      deleteTree(dataDir);
    } catch (IOException e) {
      log.warn("replica data not removed: {}", e.getMessage());
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(config("postgres").jdbcUrl(), "postgres", "postgres");
  }

  private void execute(String sql) {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static String one(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void copy(Path source, Path target) throws IOException {
    Files.walkFileTree(source, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Path relative = source.relativize(dir);
        Files.createDirectories(target.resolve(relative.toString()));
        if (relative.getNameCount() == 1 && EMPTIED.contains(relative.toString())) {
          if (relative.toString().equals("pg_wal")) {
            Files.createDirectories(target.resolve("pg_wal").resolve("archive_status"));
          }
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Path relative = source.relativize(file);
        if (relative.getNameCount() == 1 && SKIPPED.contains(relative.toString())) {
          return FileVisitResult.CONTINUE;
        }
        try {
          Files.copy(file, target.resolve(relative.toString()), StandardCopyOption.COPY_ATTRIBUTES);
        } catch (java.nio.file.NoSuchFileException gone) {
          // Removed while copied (a temporary file): the backup's WAL replay does not need it.
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
