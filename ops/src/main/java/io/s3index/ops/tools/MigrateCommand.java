package io.s3index.ops.tools;

import io.s3index.shared.db.Database;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jdbi.v3.core.Handle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ops migrate}: applies pending schema migrations; with {@code --partitions N}, then moves
 * {@code objects} online into a table hash-partitioned by bucket into N partitions (the procedures
 * of {@code R__partition_move.sql}): the new table is created with its indexes, a trigger mirrors
 * every write from then on, the rows are copied in key order batch by batch with progress (each
 * batch its own transaction, never overwriting what the mirror wrote), and the new table takes
 * the old one's place in one short transaction that holds the writers back (the live indexer by
 * the lock on its progress table, as the rebuild's swap does). The API serves from the old table
 * until then and from the new one after; the rows keep their change stamps, so walks and the
 * change feed go on across the move. Killing it leaves the old table live; running it again
 * starts over.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Apply pending schema migrations to the index database (the indexer also does at start).",
        "With --partitions N, then move the objects table online into N hash partitions by bucket",
        "(the API keeps serving, the indexer keeps writing; a short pause at the end)."})
public final class MigrateCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Option(names = "--partitions", paramLabel = "N",
      description = "move the objects table into N hash partitions by bucket (1-1000), online")
  Integer partitions;

  @Option(names = "--batch-size", defaultValue = "5000",
      description = "rows copied per transaction while moving (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (partitions != null && (partitions < 1 || partitions > Database.MAX_PARTITIONS)) {
      throw new IllegalArgumentException("--partitions must be between 1 and " + Database.MAX_PARTITIONS + ", not " + partitions);
    }
    if (batchSize < 1 || batchSize > 1_000_000) {
      throw new IllegalArgumentException("--batch-size must be between 1 and 1000000, not " + batchSize);
    }
    try (Database database = connections.openDatabase()) {
      int applied = partitions == null ? database.migrate() : database.migrate(partitions);
      String version = database.jdbi().withHandle(h -> h.createQuery(
          "SELECT max(version::int)::text FROM flyway_schema_history WHERE success").mapTo(String.class).one());
      out.println(applied == 0
          ? "schema is up to date (version " + version + ")"
          : "applied " + applied + " migration(s); schema version " + version);
      if (partitions != null) {
        move(database, out);
      }
    }
    return 0;
  }

  private void move(Database database, PrintWriter out) {
    int now = database.jdbi().withHandle(h -> h.createQuery("SELECT s3index_partition_count('objects')").mapTo(Integer.class).one());
    if (now == partitions) {
      out.printf(Locale.ROOT, "objects already has %d partitions%n", now);
      return;
    }
    try (Handle guard = database.jdbi().open()) {
      if (!guard.createQuery("SELECT pg_try_advisory_lock(:k)").bind("k", io.s3index.ops.rebuild.RebuildCommand.ADVISORY_LOCK).mapTo(Boolean.class).one()) {
        throw new IllegalStateException("a rebuild or another migration is running against this database");
      }
      long began = System.nanoTime();
      out.printf(Locale.ROOT, "moving objects (%s) into %d hash partitions by bucket; the API keeps serving%n",
          now == 0 ? "one table" : now + " partitions", partitions);
      database.jdbi().useHandle(h -> h.createCall("CALL s3index_partition_move_prepare(:n)").bind("n", partitions).invoke());
      long total = database.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM objects").mapTo(Long.class).one());
      Progress progress = new Progress(out, "copied", total);
      long copied = copy(database, progress);
      progress.finish(copied);
      database.jdbi().useHandle(h -> h.execute("ANALYZE objects_partitioned"));
      long paused = switchOver(database);
      database.jdbi().useHandle(h -> h.execute("CALL s3index_partition_move_cleanup()"));
      out.printf(Locale.ROOT, "moved: %,d rows into %d partitions in %.1f s; writers held back %d ms for the switch%n",
          copied, partitions, (System.nanoTime() - began) / 1e9, paused);
    }
  }

  /** Copies every row in key order, a batch per transaction; returns how many rows were read. */
  private long copy(Database database, Progress progress) {
    String bucket = "";
    String key = "";
    long copied = 0;
    while (true) {
      String afterBucket = bucket;
      String afterKey = key;
      var last = database.jdbi().withHandle(h -> h.createQuery("""
              WITH batch AS (
                  SELECT * FROM objects WHERE (bucket, key) > (:bucket, :key) ORDER BY bucket, key LIMIT :n),
              copied AS (
                  INSERT INTO objects_partitioned SELECT * FROM batch ON CONFLICT (bucket, key) DO NOTHING)
              SELECT bucket, key, (SELECT count(*) FROM batch) AS rows
              FROM batch ORDER BY bucket DESC, key DESC LIMIT 1""")
          .bind("bucket", afterBucket).bind("key", afterKey).bind("n", batchSize)
          .mapToMap().findOne());
      if (last.isEmpty()) {
        return copied;
      }
      bucket = (String) last.get().get("bucket");
      key = (String) last.get().get("key");
      copied += ((Number) last.get().get("rows")).longValue();
      progress.update(copied);
    }
  }

  /** The switch, retried a few times when it cannot get its locks; returns how long writers waited (ms). */
  private long switchOver(Database database) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= 5; attempt++) {
      try (Handle h = database.jdbi().open()) {
        h.begin();
        long at = System.nanoTime();
        h.execute("SET LOCAL lock_timeout = '10s'");
        // The live indexer writes its progress first in every batch: holding that table pauses it
        // between batches; the other writers wait at objects. Readers go on until the rename.
        h.execute("LOCK TABLE indexer_progress IN EXCLUSIVE MODE");
        h.execute("LOCK TABLE objects IN SHARE MODE");
        h.execute("CALL s3index_partition_move_switch()");
        h.commit();
        return (System.nanoTime() - at) / 1_000_000;
      } catch (RuntimeException e) {
        last = e;
        spec.commandLine().getOut().printf(Locale.ROOT, "switch attempt %d did not get its locks (%s); retrying%n", attempt, e.getMessage());
      }
    }
    throw new IllegalStateException("could not switch to the partitioned table: " + last.getMessage());
  }
}
