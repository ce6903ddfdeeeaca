package io.s3index.indexer.apply;

/**
 * What applying a batch did.
 *
 * @param applied events that changed the index (inserted or replaced a row)
 * @param stale events that lost to a newer stored or in-batch event for the same key, duplicates
 *     included
 */
public record ApplyResult(int applied, int stale) {

  public static final ApplyResult EMPTY = new ApplyResult(0, 0);

  public ApplyResult {
    if (applied < 0 || stale < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
  }
}
