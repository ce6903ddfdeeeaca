package io.s3index.ops.tools;

import io.s3index.shared.config.Durations;
import io.s3index.shared.db.Database;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops purge-tombstones}: removes old delete markers of the index. */
@Command(name = "purge-tombstones", mixinStandardHelpOptions = true,
    description = {
        "Remove tombstones (rows of deleted objects) older than a duration, in small batches.",
        "A tombstone keeps a late, older create from bringing an object back; purge only those",
        "older than any event could arrive late (a week is generous)."})
public final class PurgeTombstonesCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Connections connections;

  @Option(names = "--older-than", required = true, description = "age, such as 7d, 36h or 90m")
  String olderThan;

  @Option(names = "--bucket", description = "only this bucket")
  String bucket;

  @Override
  public Integer call() {
    Duration age;
    try {
      age = Durations.parse(olderThan);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--older-than: " + e.getMessage());
    }
    if (age.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new IllegalArgumentException("--older-than must be at least 1m");
    }
    PrintWriter out = spec.commandLine().getOut();
    long total = 0;
    try (Database database = connections.openDatabase()) {
      Progress progress = new Progress(out, "purged", -1);
      while (true) {
        // The change feed's horizon moves in the same transaction: a feed position that may not
        // have seen a purged delete answers 410 from then on.
        int purged = database.jdbi().withHandle(h -> h.createQuery("""
                WITH purged AS (
                  DELETE FROM objects o
                  USING (
                    SELECT bucket, key FROM objects
                    WHERE deleted AND indexed_at < now() - make_interval(secs => :seconds)
                      AND (CAST(:bucket AS text) IS NULL OR bucket = :bucket)
                    LIMIT 10000) d
                  -- by key, not ctid: a ctid names a row only within one partition
                  WHERE o.bucket = d.bucket AND o.key = d.key AND o.deleted
                  RETURNING o.bucket, o.change_xid),
                horizon AS (
                  INSERT INTO feed_horizon (bucket, purged_through)
                  SELECT bucket, max(change_xid) FROM purged GROUP BY bucket
                  ON CONFLICT (bucket) DO UPDATE
                  SET purged_through = greatest(feed_horizon.purged_through, EXCLUDED.purged_through))
                SELECT count(*) FROM purged""")
            .bind("seconds", (double) age.getSeconds())
            .bind("bucket", bucket)
            .mapTo(Integer.class).one());
        total += purged;
        progress.update(total);
        if (purged == 0) {
          break;
        }
      }
      progress.finish(total);
    }
    out.println("purged " + total + " tombstone(s) older than " + olderThan
        + (bucket == null ? "" : " in bucket " + bucket));
    return 0;
  }
}
