package io.s3index.indexer.apply;

import java.time.Instant;
import java.util.Objects;

/**
 * How far a batch advanced one source partition: the next offset to read, and the newest event
 * time it applied (null if it held no events). Plain values: the writer knows nothing of Kafka.
 */
public record PartitionProgress(String consumerGroup, String topic, int partition, long nextOffset,
    Instant lastEventTime) {

  public PartitionProgress {
    Objects.requireNonNull(consumerGroup, "consumerGroup");
    Objects.requireNonNull(topic, "topic");
    if (nextOffset < 0) {
      throw new IllegalArgumentException("nextOffset must not be negative");
    }
  }
}
