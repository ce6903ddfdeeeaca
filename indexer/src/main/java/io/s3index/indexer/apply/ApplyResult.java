package io.s3index.indexer.apply;

import java.util.List;

/**
 * What applying a batch did.
 *
 * @param applied events that changed the index (inserted or replaced a row)
 * @param stale events that lost to a newer stored or in-batch event for the same key, duplicates
 *     included, and removals of versions that were not the current one
 * @param toEnrich applied creates whose content type and metadata are still to be fetched
 */
public record ApplyResult(int applied, int stale, List<AppliedCreate> toEnrich) {

  public static final ApplyResult EMPTY = new ApplyResult(0, 0, List.of());

  public ApplyResult {
    if (applied < 0 || stale < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
    toEnrich = List.copyOf(toEnrich);
  }

  public ApplyResult(int applied, int stale) {
    this(applied, stale, List.of());
  }
}
