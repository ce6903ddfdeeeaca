package io.s3index.queryapi.reads;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.shared.db.Database;
import io.s3index.testing.TestServers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The replica check against a model: random histories of concurrent transactions on a real
 * PostgreSQL (begun, given an id, committed or aborted in random order on several connections),
 * with snapshots taken between the steps. For every pair of snapshots, "a covers b" must imply that
 * every committed transaction b sees, a sees (soundness: a replica that passes the check has what
 * the cursor saw), and a snapshot taken later on the same server must cover an earlier one
 * (completeness where it matters: the primary, and a caught-up replica, always pass).
 */
class SnapshotCoverModelIT {

  private static Database database;

  @BeforeAll
  static void start() {
    database = new Database(TestServers.postgres().createDatabase("snapshot_cover_it"), "snapshot-cover-it");
  }

  @AfterAll
  static void stop() {
    database.close();
  }

  @Test
  void coverImpliesEveryCommittedTransactionSeenAndLaterSnapshotsCoverEarlierOnes() {
    int refused = 0;
    int pairs = 0;
    for (long seed = 1; seed <= 30; seed++) {
      Random random = new Random(seed);
      List<Handle> connections = new ArrayList<>();
      Map<Handle, Long> running = new HashMap<>();
      Set<Long> committed = new HashSet<>();
      List<String> snapshots = new ArrayList<>();
      try (Handle observer = database.jdbi().open()) {
        for (int i = 0; i < 5; i++) {
          connections.add(database.jdbi().open());
        }
        for (int step = 0; step < 60; step++) {
          int action = random.nextInt(10);
          Handle h = connections.get(random.nextInt(connections.size()));
          if (action < 4 && !running.containsKey(h)) {
            h.begin();
            running.put(h, h.createQuery("SELECT pg_current_xact_id()::text::bigint").mapTo(Long.class).one());
          } else if (action < 7 && running.containsKey(h)) {
            long xid = running.remove(h);
            if (random.nextInt(4) == 0) {
              h.rollback();
            } else {
              h.commit();
              committed.add(xid);
            }
          } else {
            snapshots.add(observer.createQuery("SELECT pg_current_snapshot()::text").mapTo(String.class).one());
          }
        }
        for (Map.Entry<Handle, Long> e : running.entrySet()) {
          e.getKey().commit();
          committed.add(e.getValue());
        }
        String covers = String.format(Reads.COVERS_TEMPLATE, "CAST(:a AS pg_snapshot)");
        Map<String, Set<Long>> seenBy = new HashMap<>();
        for (String s : snapshots) {
          seenBy.computeIfAbsent(s, x -> visible(observer, x, committed));
        }
        for (int i = 0; i < snapshots.size(); i++) {
          for (int j = 0; j < snapshots.size(); j++) {
            String a = snapshots.get(i);
            String b = snapshots.get(j);
            boolean check = observer.createQuery(covers).bind("a", a).bind("b", b).mapTo(Boolean.class).one();
            pairs++;
            if (i >= j) {
              assertThat(check).as("seed %d: a later snapshot %s covers an earlier one %s", seed, a, b).isTrue();
            }
            if (check) {
              assertThat(seenBy.get(a)).as("seed %d: %s covers %s", seed, a, b).containsAll(seenBy.get(b));
            } else {
              refused++;
            }
          }
        }
      } finally {
        connections.forEach(Handle::close);
      }
    }
    // The histories exercised both answers.
    assertThat(pairs).isGreaterThan(3_000);
    assertThat(refused).isGreaterThan(500);
  }

  private static Set<Long> visible(Handle h, String snapshot, Set<Long> committed) {
    Set<Long> seen = new HashSet<>();
    for (long xid : committed) {
      if (h.createQuery("SELECT pg_visible_in_snapshot(CAST(CAST(:x AS text) AS xid8), CAST(:s AS pg_snapshot))")
          .bind("x", xid).bind("s", snapshot).mapTo(Boolean.class).one()) {
        seen.add(xid);
      }
    }
    return seen;
  }
}
