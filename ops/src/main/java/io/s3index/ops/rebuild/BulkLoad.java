package io.s3index.ops.rebuild;

import io.s3index.indexer.apply.ApplyResult;
import io.s3index.indexer.apply.BatchWriter;
import io.s3index.ops.tools.Progress;
import io.s3index.shared.db.Database;
import io.s3index.shared.events.ObjectEvent;
import java.io.PrintWriter;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the bulk of the topic into the shadow set-wise: events are copied into an unlogged staging
 * table ({@link StagingCopier}), reduced to the newest per (bucket, key) into a shadow without
 * indexes (split into parts by key, on {@code jobs} connections), the shadow's indexes are built
 * once afterwards (also on {@code jobs} connections), and the staged version removals are applied
 * in sequencer order through the live writer. Every step is a procedure of {@code R__rebuild.sql}.
 */
final class BulkLoad {

  private final Database database;
  private final BatchWriter writer;
  private final int jobs;
  private final PrintWriter out;
  private final boolean oneBucket;

  /** @param oneBucket the rebuild of one bucket, merged into the live table (no derived tables of its own) */
  BulkLoad(Database database, BatchWriter writer, int jobs, boolean oneBucket, PrintWriter out) {
    this.database = database;
    this.oneBucket = oneBucket;
    this.writer = writer;
    this.jobs = jobs;
    this.out = out;
  }

  /** Loads until the replay is within {@code catchUpLag} records of the topic's end. */
  void load(TopicReplay replay, long catchUpLag, Progress progress) {
    try (StagingCopier copier = new StagingCopier(database.jdbi())) {
      while (replay.lag() > catchUpLag) {
        copier.copy(replay.poll(null));
        progress.update(replay.replayed());
      }
      copier.finish();
    }
    long loading = System.nanoTime();
    List<Concurrently.Job> parts = new ArrayList<>();
    for (int part = 0; part < jobs; part++) {
      int p = part;
      parts.add(h -> h.createCall("CALL s3index_rebuild_load_part(:part, :parts)")
          .bind("part", p).bind("parts", jobs).invoke());
    }
    Concurrently.run(database.config(), "SET work_mem = '256MB'", parts, jobs);
    long indexing = System.nanoTime();
    List<Concurrently.Job> builds = database.jdbi().withHandle(h -> h.createQuery(
            "SELECT s3index_rebuild_indexes()").mapTo(String.class).list())
        .stream().<Concurrently.Job>map(index -> h -> h.createCall("CALL s3index_rebuild_build_index(:index)")
            .bind("index", index).invoke())
        .toList();
    Concurrently.run(database.config(), "SET maintenance_work_mem = '256MB'", builds, jobs);
    database.jdbi().useHandle(h -> h.execute("CALL s3index_rebuild_attach_primary_key()"));
    long deriving = System.nanoTime();
    if (!oneBucket) {
      database.jdbi().useHandle(h -> {
        h.execute("SET work_mem = '256MB'");
        h.execute("CALL s3index_rebuild_derive()");
      });
    }
    long removing = System.nanoTime();
    int removals = applyStagedRemovals();
    database.jdbi().useHandle(h -> h.execute("CALL s3index_rebuild_drop_staging()"));
    out.printf(Locale.ROOT, "reduced to the newest event per key in %.1f s, indexed in %.1f s, "
        + "folder sizes and metadata entries derived in %.1f s, %,d version removals applied in %.1f s%n",
        (indexing - loading) / 1e9, (deriving - indexing) / 1e9, (removing - deriving) / 1e9,
        removals, (System.nanoTime() - removing) / 1e9);
  }

  /**
   * Applies the staged permanent removals of single versions to the loaded shadow, oldest first,
   * through the live writer (each is judged against the row it finds); returns how many.
   */
  private int applyStagedRemovals() {
    record Staged(long ord, ObjectEvent event) {}
    int applied = 0;
    Staged last = new Staged(-1, null);
    while (true) {
      Staged after = last;
      List<Staged> rows = database.jdbi().withHandle(h -> h.createQuery("""
              SELECT ord, bucket, key, version_id, sequencer, event_time
              FROM objects_rebuild_events
              WHERE removal AND (sequencer, ord) > (:sequencer, :ord)
              ORDER BY sequencer, ord LIMIT 10000""")
          .bind("sequencer", after.event() == null ? "" : after.event().sequencer()).bind("ord", after.ord())
          .map((rs, c) -> new Staged(rs.getLong(1), new ObjectEvent(rs.getString(2), rs.getString(3),
              ObjectEvent.Kind.VERSION_REMOVED, 0, null, rs.getString(4), rs.getString(5),
              rs.getObject(6, OffsetDateTime.class).toInstant(), "ObjectRemoved:Delete", null, null)))
          .list());
      if (rows.isEmpty()) {
        return applied;
      }
      ApplyResult ignored = writer.apply(rows.stream().map(Staged::event).toList());
      applied += rows.size();
      last = rows.get(rows.size() - 1);
    }
  }
}
