package io.s3index.ops.rebuild;

import io.s3index.indexer.apply.BatchWriter;
import io.s3index.shared.db.Database;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.jdbi.v3.core.Handle;

/**
 * The rebuild's last step, in one transaction: pause the live indexer (by locking its progress
 * table, which every indexer batch writes first) and the other writers, replay exactly up to the
 * offsets the live indexer had applied, count what the rebuilt index would drop (stop unless
 * allowed), carry over what the topic does not hold, rename the tables. Retried a few times when
 * it cannot get its locks.
 */
final class Swap {

  /** The rebuild stops before its swap: the rebuilt index would drop live objects. */
  static final class WouldDropException extends IllegalStateException {
    WouldDropException(String message) {
      super(message);
    }
  }

  private static final int ATTEMPTS = 5;

  private final Database database;
  private final String group;
  private final String topic;
  private final boolean allowDrop;
  private final PrintWriter out;
  private final String onlyBucket;

  /** @param onlyBucket the rebuild of that one bucket (merged into the live table), or null for the whole index */
  Swap(Database database, String group, String topic, boolean allowDrop, String onlyBucket, PrintWriter out) {
    this.database = database;
    this.onlyBucket = onlyBucket;
    this.group = group;
    this.topic = topic;
    this.allowDrop = allowDrop;
    this.out = out;
  }

  /** Swaps; returns how long the live indexer was paused (ms). */
  long run(TopicReplay replay, BatchWriter writer) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try (Handle swap = database.jdbi().open()) {
        swap.begin();
        long pausedAt = System.nanoTime();
        swap.execute("SET LOCAL lock_timeout = '10s'");
        swap.execute("LOCK TABLE indexer_progress IN EXCLUSIVE MODE");
        // Writers other than the indexer (the enricher, backfill, reconcile --fix) wait too, so
        // nothing they write to the old table falls between the carry-over and the rename; the
        // API's reads go on. A statement that waited here finds the new table after the rename.
        swap.execute("LOCK TABLE objects IN SHARE MODE");
        Map<TopicPartition, Long> limits = liveOffsets(swap, replay);
        while (replay.below(limits)) {
          replay.replayInto(writer, limits);
        }
        refuseDrops(swap);
        swap.createCall("CALL s3index_rebuild_carry_over(:b)").bind("b", onlyBucket).invoke();
        if (onlyBucket == null) {
          swap.execute("CALL s3index_rebuild_swap()");
        } else {
          swap.createCall("CALL s3index_rebuild_merge_bucket(:b)").bind("b", onlyBucket).invoke();
        }
        swap.commit();
        long paused = (System.nanoTime() - pausedAt) / 1_000_000;
        if (onlyBucket == null) {
          out.printf(Locale.ROOT, "swapped in the rebuilt index at offsets %s%n", limits.values());
          database.jdbi().useHandle(h -> h.execute("CALL s3index_rebuild_retire()"));
        } else {
          out.printf(Locale.ROOT, "merged the rebuilt bucket %s into the live index at offsets %s%n", onlyBucket, limits.values());
        }
        return paused;
      } catch (WouldDropException e) {
        throw e;
      } catch (RuntimeException e) {
        last = e;
        out.printf(Locale.ROOT, "swap attempt %d did not get its locks (%s); retrying%n", attempt, e.getMessage());
        // The shadow may hold events past the live indexer's offsets: harmless, they re-apply as stale.
      }
    }
    throw new IllegalStateException("could not swap in the rebuilt index: " + last.getMessage());
  }

  /**
   * Where the live indexer stands in each partition; a partition it never wrote gets everything
   * there is (it will re-read that partition from its own start, harmlessly).
   */
  private Map<TopicPartition, Long> liveOffsets(Handle swap, TopicReplay replay) {
    Map<Integer, Long> live = new HashMap<>();
    swap.createQuery("SELECT partition, next_offset FROM indexer_progress WHERE consumer_group = :g AND topic = :t")
        .bind("g", group).bind("t", topic)
        .map((rs, c) -> live.put(rs.getInt(1), rs.getLong(2))).list();
    Map<TopicPartition, Long> ends = replay.ends();
    Map<TopicPartition, Long> limits = new HashMap<>();
    for (TopicPartition p : replay.partitions()) {
      limits.put(p, live.getOrDefault(p.partition(), ends.get(p)));
    }
    return limits;
  }

  /**
   * Counts the live objects of the old index, written by events, that the rebuilt one lacks (their
   * events are no longer in the topic) and reports them; stops unless allowed to drop them.
   */
  private void refuseDrops(Handle swap) {
    record Drops(long count, String[] sample) {}
    Drops drops = swap.createQuery("SELECT dropped, sample FROM s3index_rebuild_drops(:b)").bind("b", onlyBucket)
        .map((rs, ctx) -> new Drops(rs.getLong(1),
            rs.getArray(2) == null ? new String[0] : (String[]) rs.getArray(2).getArray()))
        .one();
    if (drops.count() == 0) {
      return;
    }
    String what = String.format(Locale.ROOT, "%,d live object(s) of the index are not in the topic any more "
        + "(their events aged out of retention), e.g. %s", drops.count(), String.join(", ", drops.sample()));
    if (!allowDrop) {
      throw new WouldDropException("rebuild stopped before its swap, the index unchanged: " + what
          + "; run ops backfill or ops reconcile --fix for their buckets first, or rerun with --allow-drop to drop them");
    }
    out.printf(Locale.ROOT, "dropping %s (--allow-drop)%n", what);
  }
}
