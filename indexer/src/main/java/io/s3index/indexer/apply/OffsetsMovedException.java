package io.s3index.indexer.apply;

import java.util.Map;

/**
 * The database holds other offsets for a batch's partitions than the consumer believed it did:
 * it lost its last commits (crash recovery, failover to a replica that was behind) or another
 * group member moved on. Nothing of the batch was written; the consumer resumes every partition
 * from {@link #stored()}.
 */
public final class OffsetsMovedException extends RuntimeException {

  private final transient Map<Integer, Long> stored;

  public OffsetsMovedException(Map<Integer, Long> expected, Map<Integer, Long> stored) {
    super("the database holds offsets " + stored + " where the consumer expected " + expected);
    this.stored = Map.copyOf(stored);
  }

  /** The next offset per partition the database holds (partitions without a row are absent). */
  public Map<Integer, Long> stored() {
    return stored;
  }
}
