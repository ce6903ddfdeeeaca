package io.s3index.indexer;

import io.s3index.indexer.apply.ApplyResult;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Running counts of what the indexer did, for logs, tests and metrics. Thread-safe. */
public final class IndexerStats {

  private final AtomicLong records = new AtomicLong();
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong stale = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong failedBatches = new AtomicLong();
  private final AtomicLong batchNanos = new AtomicLong();
  private final AtomicLong parseNanos = new AtomicLong();
  private final AtomicLong writeNanos = new AtomicLong();
  private final AtomicLong commitNanos = new AtomicLong();
  private final AtomicLong enriched = new AtomicLong();
  private final AtomicLong enrichmentFailures = new AtomicLong();
  private volatile String lastFailure;
  private final Map<Integer, Stall> stalls = new ConcurrentHashMap<>();
  private volatile long enrichGivenUp;
  private volatile long enrichBacklog;
  private volatile double enrichOldestSeconds;

  /** A partition whose current batch is not committed yet: since when, and how many attempts failed. */
  private record Stall(long sinceNanos, int failedAttempts) {}

  /** A batch of these partitions is being attempted (the first attempt starts the clock). */
  void attempting(Collection<Integer> partitions) {
    long now = System.nanoTime();
    partitions.forEach(p -> stalls.putIfAbsent(p, new Stall(now, 0)));
  }

  /** An attempt at a batch of these partitions failed. */
  void attemptFailed(Collection<Integer> partitions) {
    long now = System.nanoTime();
    partitions.forEach(p -> stalls.merge(p, new Stall(now, 1),
        (held, one) -> new Stall(held.sinceNanos(), held.failedAttempts() + 1)));
  }

  /** A batch of these partitions committed (or they were revoked): they are not stuck. */
  void settled(Collection<Integer> partitions) {
    partitions.forEach(stalls::remove);
  }

  /** Per partition with a batch in hand: how long since its first attempt started. */
  public Map<Integer, Duration> inHandFor() {
    long now = System.nanoTime();
    Map<Integer, Duration> out = new TreeMap<>();
    stalls.forEach((p, s) -> out.put(p, Duration.ofNanos(now - s.sinceNanos())));
    return out;
  }

  /** Failed attempts at the batch a partition has in hand (0 when it has none). */
  public int failedAttempts(int partition) {
    Stall s = stalls.get(partition);
    return s == null ? 0 : s.failedAttempts();
  }

  /**
   * Partitions stuck for longer than {@code limit}: a batch in hand that has failed at least once
   * (or not finished) since longer than that.
   */
  public Map<Integer, Duration> stuckLongerThan(Duration limit) {
    Map<Integer, Duration> out = new TreeMap<>();
    inHandFor().forEach((p, d) -> {
      if (d.compareTo(limit) > 0) {
        out.put(p, d);
      }
    });
    return out;
  }

  /** The enrichment queue as last measured: rows waiting, age of the oldest, rows given up. */
  public void enrichmentQueue(long backlog, double oldestSeconds, long givenUp) {
    this.enrichBacklog = backlog;
    this.enrichOldestSeconds = oldestSeconds;
    this.enrichGivenUp = givenUp;
  }

  /** Rows waiting for enrichment (all indexers), as last measured. */
  public long enrichmentBacklog() {
    return enrichBacklog;
  }

  /** Seconds the oldest row has waited for enrichment, as last measured. */
  public double enrichmentOldestSeconds() {
    return enrichOldestSeconds;
  }

  /** Rows whose enrichment was given up after permanent failures, as last measured. */
  public long enrichmentGivenUp() {
    return enrichGivenUp;
  }

  void batchApplied(int recordCount, ApplyResult result, int skippedCount, int deadCount,
      long nanos) {
    records.addAndGet(recordCount);
    applied.addAndGet(result.applied());
    stale.addAndGet(result.stale());
    skipped.addAndGet(skippedCount);
    deadLettered.addAndGet(deadCount);
    batches.incrementAndGet();
    batchNanos.addAndGet(nanos);
  }

  /** Where a batch's time went: parsing, the database transaction, the offset commit (exported as s3index_indexer_batch_stage_seconds). */
  void stages(long parse, long write, long commit) {
    parseNanos.addAndGet(parse);
    writeNanos.addAndGet(write);
    commitNanos.addAndGet(commit);
  }

  /** Total nanoseconds spent parsing messages. */
  public long parseNanos() {
    return parseNanos.get();
  }

  /** Total nanoseconds spent in database transactions. */
  public long writeNanos() {
    return writeNanos.get();
  }

  /** Total nanoseconds spent waiting for dead letters and offset commits. */
  public long commitNanos() {
    return commitNanos.get();
  }

  /** Total nanoseconds from poll result to committed batch. */
  public long batchNanos() {
    return batchNanos.get();
  }

  void batchFailed(Throwable cause) {
    // The reason first: whoever sees the count go up also sees why.
    lastFailure = cause.toString();
    failedBatches.incrementAndGet();
  }

  /** Counts objects enrichment finished with (stored, or found gone). */
  public void enriched(int count) {
    enriched.addAndGet(count);
  }

  /** Counts HeadObject calls that failed after their retries. */
  public void enrichmentFailed() {
    enrichmentFailures.incrementAndGet();
  }

  /** Objects whose enrichment is done. */
  public long enriched() {
    return enriched.get();
  }

  /** HeadObject calls that failed after retries (left for the next sweep). */
  public long enrichmentFailures() {
    return enrichmentFailures.get();
  }

  /** Messages consumed and committed. */
  public long records() {
    return records.get();
  }

  /** Events that changed the index. */
  public long applied() {
    return applied.get();
  }

  /** Events that lost to newer state (duplicates and late arrivals). */
  public long stale() {
    return stale.get();
  }

  /** Records that change nothing (test events, untracked event types). */
  public long skipped() {
    return skipped.get();
  }

  /** Messages sent to the dead-letter topic. */
  public long deadLettered() {
    return deadLettered.get();
  }

  /** Batches committed. */
  public long batches() {
    return batches.get();
  }

  /** Batch attempts that failed and were retried. */
  public long failedBatches() {
    return failedBatches.get();
  }

  /** Why the most recent batch attempt failed, or null if none has. */
  public String lastFailure() {
    return lastFailure;
  }

  /** One line for logs and test failures: what was consumed, and what went wrong last. */
  @Override
  public String toString() {
    return records() + " records in " + batches() + " batches (" + applied() + " applied, " + stale()
        + " stale, " + deadLettered() + " dead-lettered), " + failedBatches() + " failed attempts"
        + (lastFailure == null ? "" : ", the last: " + lastFailure);
  }
}
