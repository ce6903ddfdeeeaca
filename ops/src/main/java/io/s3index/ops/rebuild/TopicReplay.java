package io.s3index.ops.rebuild;

import io.s3index.indexer.apply.ApplyResult;
import io.s3index.indexer.apply.BatchWriter;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.InvalidEventException;
import io.s3index.shared.events.ObjectEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The rebuild's reading of the topic: every partition from its beginning, with its own consumer
 * (no group, nothing committed), tracking the position it has read to in each partition.
 * Not thread-safe: one caller.
 */
final class TopicReplay implements AutoCloseable {

  private final KafkaConsumer<String, byte[]> consumer;
  private final List<TopicPartition> partitions;
  private final Map<TopicPartition, Long> positions;
  private final EventParser parser = new EventParser();
  private final String onlyBucket;
  private long replayed;

  TopicReplay(String bootstrapServers, String topic) {
    this(bootstrapServers, topic, null);
  }

  /** @param onlyBucket if not null, only that bucket's events are returned (all are read) */
  TopicReplay(String bootstrapServers, String topic, String onlyBucket) {
    this.onlyBucket = onlyBucket;
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "s3index-rebuild");
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    try {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers);
      }
      if (infos == null || infos.isEmpty()) {
        throw new IllegalArgumentException("topic " + topic + " does not exist at " + bootstrapServers);
      }
      partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      positions = new HashMap<>(consumer.beginningOffsets(partitions, Duration.ofSeconds(10)));
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
  }

  List<TopicPartition> partitions() {
    return partitions;
  }

  /** Records read so far (parsed or skipped). */
  long replayed() {
    return replayed;
  }

  /** Records between the positions read to and the partitions' ends. */
  long lag() {
    return lag(ends());
  }

  Map<TopicPartition, Long> ends() {
    return consumer.endOffsets(partitions, Duration.ofSeconds(10));
  }

  private long lag(Map<TopicPartition, Long> ends) {
    long lag = 0;
    for (TopicPartition p : partitions) {
      lag += Math.max(0, ends.get(p) - positions.get(p));
    }
    return lag;
  }

  /** Whether some partition's position is below its limit. */
  boolean below(Map<TopicPartition, Long> limits) {
    return partitions.stream().anyMatch(p -> positions.get(p) < limits.get(p));
  }

  /** Polls once and applies what it got through the writer; with limits as for {@link #poll}. */
  void replayInto(BatchWriter writer, Map<TopicPartition, Long> limits) {
    ApplyResult ignored = writer.apply(poll(limits));
  }

  /**
   * Polls once and parses what it got, advancing the positions; with {@code limits} (else null),
   * only records below each partition's limit, and the consumer is rewound to them. Records the
   * parser refuses are skipped: the live indexer dead-lettered them already.
   */
  List<ObjectEvent> poll(Map<TopicPartition, Long> limits) {
    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
    List<ObjectEvent> events = new ArrayList<>(records.count());
    for (TopicPartition partition : records.partitions()) {
      for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
        if (limits != null && record.offset() >= limits.get(partition)) {
          break;
        }
        try {
          for (ObjectEvent e : parser.parse(record.value()).events()) {
            if (onlyBucket == null || onlyBucket.equals(e.bucket())) {
              events.add(e);
            }
          }
        } catch (InvalidEventException e) {
          // skipped, see above
        }
        positions.put(partition, record.offset() + 1);
        replayed++;
      }
    }
    if (limits != null) {
      for (TopicPartition partition : records.partitions()) {
        consumer.seek(partition, positions.get(partition));
      }
    }
    return events;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
