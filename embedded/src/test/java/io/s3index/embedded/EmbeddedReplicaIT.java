package io.s3index.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.shared.db.DatabaseConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A streaming replica of the embedded PostgreSQL, made with the low-level backup functions: it
 * follows the primary, refuses writes, can be held behind by pausing replay, serves the snapshot
 * functions the change feed is built on, and can be stopped.
 */
class EmbeddedReplicaIT {

  private static EmbeddedPostgresServer primary;
  private static DatabaseConfig db;

  @BeforeAll
  static void start() throws SQLException {
    primary = EmbeddedPostgresServer.start(0, null);
    db = primary.createDatabase("replica_it");
    execute(db, "CREATE TABLE t (id int PRIMARY KEY, note text)");
    execute(db, "INSERT INTO t VALUES (1, 'before the backup')");
  }

  @AfterAll
  static void stop() {
    primary.close();
  }

  @Test
  void followsThePrimaryCanBeHeldBehindAndStops() throws SQLException {
    try (EmbeddedReplica replica = primary.startReplica("replica_it_one")) {
      DatabaseConfig standby = replica.config("replica_it");
      assertThat(count(standby)).isEqualTo(1);
      execute(db, "INSERT INTO t VALUES (2, 'streamed')");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> count(standby) == 2);
      assertThatThrownBy(() -> execute(standby, "INSERT INTO t VALUES (3, 'refused')"))
          .hasMessageContaining("read-only");

      // Held behind: what the primary commits now is not seen until replay resumes.
      replica.pauseReplay();
      String before = replica.replayLsn();
      execute(db, "INSERT INTO t VALUES (3, 'after the pause')");
      String primaryLsn = one(db, "SELECT pg_current_wal_insert_lsn()::text");
      assertThat(count(standby)).isEqualTo(2);
      assertThat(one(standby, "SELECT pg_last_wal_replay_lsn() >= '" + primaryLsn + "'::pg_lsn")).isEqualTo("f");
      // The change feed's stamps work on a standby: its snapshot, in the primary's xid space.
      String snapshot = one(standby, "SELECT pg_current_snapshot()::text");
      assertThat(snapshot).matches("\\d+:\\d+:[\\d,]*");
      replica.resumeReplay();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> count(standby) == 3);
      assertThat(one(standby, "SELECT pg_last_wal_replay_lsn() >= '" + primaryLsn + "'::pg_lsn")).isEqualTo("t");
      assertThat(replica.replayLsn()).isNotEqualTo(before);

      replica.stop();
      assertThatThrownBy(() -> count(standby)).isInstanceOf(SQLException.class);
    }
    // The slot is dropped with the replica: the primary keeps no WAL for it.
    assertThat(one(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'replica_it_one'")).isEqualTo("0");
  }

  private static long count(DatabaseConfig config) throws SQLException {
    return Long.parseLong(one(config, "SELECT count(*) FROM t"));
  }

  private static String one(DatabaseConfig config, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
        Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void execute(DatabaseConfig config, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
