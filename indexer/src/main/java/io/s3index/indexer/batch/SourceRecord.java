package io.s3index.indexer.batch;

import java.util.Objects;

/** One message as the consumer read it: where it came from, its key and its value. No Kafka types. */
public record SourceRecord(String topic, int partition, long offset, byte[] key, byte[] value) {

  public SourceRecord {
    Objects.requireNonNull(topic, "topic");
  }
}
