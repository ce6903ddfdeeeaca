package io.s3index.ops.rebuild;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.testing.TestServers;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConcurrentlyIT {

  @Test
  void runsEveryStatementOnceAfterEachConnectionsSetup() {
    DatabaseConfig config = TestServers.postgres().createDatabase("concurrently_ok");
    try (Database database = new Database(config, "test")) {
      database.jdbi().useHandle(h -> h.execute("CREATE TABLE done (n int PRIMARY KEY, mem text)"));
      List<String> statements = new ArrayList<>();
      for (int n = 0; n < 7; n++) {
        statements.add("INSERT INTO done VALUES (" + n + ", current_setting('work_mem'))");
      }
      Concurrently.run(config, "SET work_mem = '7MB'", jobs(statements), 3);
      List<Integer> done = database.jdbi().withHandle(h -> h.createQuery("SELECT n FROM done ORDER BY n")
          .mapTo(Integer.class).list());
      List<String> settings = database.jdbi().withHandle(h -> h.createQuery("SELECT DISTINCT mem FROM done")
          .mapTo(String.class).list());
      assertThat(done).containsExactly(0, 1, 2, 3, 4, 5, 6);
      assertThat(settings).containsExactly("7MB");
    }
  }

  @Test
  void statementsLongerThanAPoolsConnectionTimeoutAllRun() {
    // Five at once, each longer than the 2 s a pool's caller waits for a free connection: they
    // must not wait on each other's connections.
    DatabaseConfig config = TestServers.postgres().createDatabase("concurrently_slow");
    try (Database database = new Database(config, "test")) {
      database.jdbi().useHandle(h -> h.execute("CREATE TABLE done (n int PRIMARY KEY)"));
      List<String> statements = new ArrayList<>();
      for (int n = 0; n < 5; n++) {
        statements.add("INSERT INTO done SELECT " + n + " FROM pg_sleep(2.2)");
      }
      Concurrently.run(config, "SELECT 1", jobs(statements), 5);
      long done = database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM done")
          .mapTo(Long.class).one());
      assertThat(done).isEqualTo(5);
    }
  }

  @Test
  void aFailureIsThrownAndStatementsNotYetStartedAreSkipped() {
    DatabaseConfig config = TestServers.postgres().createDatabase("concurrently_fail");
    try (Database database = new Database(config, "test")) {
      database.jdbi().useHandle(h -> h.execute("CREATE TABLE done (n int PRIMARY KEY)"));
      List<String> statements = new ArrayList<>(List.of("INSERT INTO no_such_table VALUES (1)"));
      for (int n = 0; n < 50; n++) {
        statements.add("INSERT INTO done VALUES (" + n + ")");
      }
      // One connection: the failing statement runs first, so none after it may run.
      assertThatThrownBy(() -> Concurrently.run(config, "SELECT 1", jobs(statements), 1))
          .hasMessageContaining("no_such_table");
      long done = database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM done")
          .mapTo(Long.class).one());
      assertThat(done).isZero();
    }
  }

  private static List<Concurrently.Job> jobs(List<String> statements) {
    return statements.stream().<Concurrently.Job>map(sql -> h -> h.execute(sql)).toList();
  }
}
