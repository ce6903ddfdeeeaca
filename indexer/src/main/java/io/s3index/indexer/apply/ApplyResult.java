package io.s3index.indexer.apply;

/**
 * What applying a batch did.
 *
 * @param applied events that changed the index (inserted or replaced a row)
 * @param stale events that lost to a newer stored or in-batch event for the same key, duplicates
 *     included, and removals of versions that were not the current one
 * @param queued applied creates queued for enrichment
 */
public record ApplyResult(int applied, int stale, int queued) {

  public static final ApplyResult EMPTY = new ApplyResult(0, 0, 0);

  public ApplyResult {
    if (applied < 0 || stale < 0 || queued < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
  }

  public ApplyResult(int applied, int stale) {
    this(applied, stale, 0);
  }

  /** The sum of two results. */
  public ApplyResult plus(ApplyResult other) {
    return new ApplyResult(applied + other.applied, stale + other.stale, queued + other.queued);
  }
}
