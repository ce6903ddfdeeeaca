package io.s3index.ops.rebuild;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.ops.tools.Connections;
import io.s3index.ops.tools.Progress;
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
 * {@code ops rebuild}: replays the events topic from its beginning ({@link TopicReplay}) into a
 * shadow table ({@link BulkLoad}, then the live writer's upsert), catches up, and swaps it in
 * atomically ({@link Swap}). Java issues no DDL here: each step is a procedure of
 * {@code R__rebuild.sql}.
 *
 * <p>The bulk of the topic is loaded set-wise: events are copied into an unlogged staging table,
 * reduced to the newest per (bucket, key) (version removals then applied in sequencer order)
 * into a shadow without indexes, and the shadow's indexes are built once afterwards. The reduce
 * (split into parts by key) and the index builds run on {@code --jobs} connections at a time.
 * What arrives after that goes through the live writer's upsert.
 *
 * <p>The swap pauses the live indexer for a moment (by locking its progress table, which every
 * indexer batch writes first), replays exactly up to the offsets the live indexer had applied,
 * and renames the tables in that one transaction. So after the swap the live indexer continues
 * from its own offsets into the rebuilt table: no event lost, none applied twice. The query API
 * reads the old table until the rename and the new one after it, waiting at most for the rename
 * itself. Killing the rebuild at any point leaves the live index untouched; running it again
 * starts over.
 *
 * <p>In the swap's transaction, before the rename, the rebuilt rows get what the topic does not
 * hold ({@code s3index_rebuild_carry_over}): enrichment and the change stamps of rows that read
 * the same, rows from backfill and reconcile --fix, tombstones. Live rows whose events left the
 * topic would be dropped: the rebuild counts them and stops unless {@code --allow-drop}.
 */
@Command(name = "rebuild", mixinStandardHelpOptions = true,
    description = {
        "Replay the events topic from its beginning into a shadow table, catch up with the live",
        "indexer, and swap the shadow in atomically. The API keeps serving the old index until the",
        "swap; afterwards the live indexer goes on from its own offsets. Safe to kill and rerun.",
        "Carries over what the topic does not hold (backfilled and repaired rows, enrichment, the",
        "change stamps of unchanged rows); stops before the swap if the rebuilt index would drop",
        "live objects whose events left the topic, unless --allow-drop. With --bucket, rebuilds",
        "one bucket and merges it into the live index: only that bucket's changed rows are written."})
public final class RebuildCommand implements Callable<Integer> {

  /** The session lock a rebuild holds, and {@code ops migrate --partitions} too: the two must not run at once. */
  public static final long ADVISORY_LOCK = 0x5331_4E44_5242L;

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Option(names = "--catch-up-lag", defaultValue = "2000",
      description = "swap once the shadow is within this many events of the topic's end (default: ${DEFAULT-VALUE})")
  long catchUpLag;

  @Option(names = "--jobs", defaultValue = "2",
      description = "connections that reduce and index the bulk at once; up to the database server's cores (default: ${DEFAULT-VALUE})")
  int jobs;

  @Option(names = "--bucket", paramLabel = "BUCKET",
      description = "rebuild only this bucket from the topic, merged into the live index at the end; the other buckets' rows are not touched")
  String bucket;

  @Option(names = "--allow-drop",
      description = "swap even if the rebuilt index lacks live objects of the old one whose events the topic no longer holds")
  boolean allowDrop;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (jobs < 1 || jobs > 64) {
      throw new IllegalArgumentException("--jobs must be between 1 and 64, not " + jobs);
    }
    String topic = connections.topic();
    try (Database database = connections.openDatabase();
         Handle guard = database.jdbi().open();
         TopicReplay replay = new TopicReplay(connections.bootstrapServers(), topic, bucket)) {
      if (!guard.createQuery("SELECT pg_try_advisory_lock(:k)").bind("k", ADVISORY_LOCK).mapTo(Boolean.class).one()) {
        throw new IllegalStateException("another rebuild is running against this database");
      }
      database.jdbi().useHandle(h -> h.createCall("CALL s3index_rebuild_prepare(:b)").bind("b", bucket).invoke());
      BatchWriter writer = new BatchWriter(database.jdbi(), false, BatchWriter.Target.REBUILD);
      long began = System.nanoTime();
      long total = replay.lag();
      out.printf(Locale.ROOT, "rebuilding %s from %s (%,d events, %d partitions) into a shadow table%n",
          bucket == null ? "the index" : "bucket " + bucket, topic, total, replay.partitions().size());
      Progress progress = new Progress(out, "replayed", total);

      // The bulk of the topic, until close to its end: staged, then reduced and indexed in one go.
      new BulkLoad(database, writer, jobs, bucket != null, out).load(replay, catchUpLag, progress);

      // What arrived meanwhile, through the live writer's upsert.
      while (replay.lag() > catchUpLag) {
        replay.replayInto(writer, null);
        progress.update(replay.replayed());
      }

      // Pause the live indexer, replay up to exactly where it is, carry over what the topic does
      // not hold, swap.
      long paused = new Swap(database, connections.group(), topic, allowDrop, bucket, out).run(replay, writer);
      progress.finish(replay.replayed());
      double seconds = (System.nanoTime() - began) / 1e9;
      long rows = database.jdbi().withHandle(h -> h.createQuery(
          "SELECT count(*) FROM objects WHERE NOT deleted AND (CAST(:b AS text) IS NULL OR bucket = :b)")
          .bind("b", bucket).mapTo(Long.class).one());
      out.printf(Locale.ROOT, "rebuilt: %,d events replayed in %.1f s (%,.0f events/s); %,d live objects%s; "
          + "the live indexer paused %d ms for the %s%n", replay.replayed(), seconds,
          replay.replayed() / seconds, rows, bucket == null ? "" : " in " + bucket, paused, bucket == null ? "swap" : "merge");
    }
    return 0;
  }
}
