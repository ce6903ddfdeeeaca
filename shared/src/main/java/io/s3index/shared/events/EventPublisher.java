package io.s3index.shared.events;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes S3-format events to the events topic, keyed {@code bucket/key}. For applications that
 * upload objects themselves and want them indexed without a bucket notification, and for tests.
 *
 * <p>Thread-safe (the Kafka producer is). {@link #publish} sends asynchronously; {@link #flush}
 * waits for everything sent so far and fails if any send failed.
 */
public final class EventPublisher implements AutoCloseable {

  private final KafkaProducer<String, byte[]> producer;
  private final String topic;
  private final S3EventFormat format = new S3EventFormat();

  public EventPublisher(String bootstrapServers, String topic) {
    this(bootstrapServers, topic, Duration.ofSeconds(15));
  }

  /** @param maxBlock how long a send may wait for the broker's metadata before failing */
  public EventPublisher(String bootstrapServers, String topic, Duration maxBlock) {
    Map<String, Object> config = ProducerSettings.durable(bootstrapServers, "s3index-publisher");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
    this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    this.topic = topic;
  }

  /** Sends one event; the returned future completes when the broker has it. */
  public Future<RecordMetadata> publish(ObjectEvent event) {
    return publishRaw(S3EventFormat.messageKey(event), format.toJson(event));
  }

  /** Sends a message as it is: for bridges that already hold S3-format JSON, and for tests. */
  public Future<RecordMetadata> publishRaw(String messageKey, byte[] payload) {
    return producer.send(new ProducerRecord<>(topic, messageKey, payload));
  }

  /** Sends events and waits until the broker has all of them. */
  public void publishAll(List<ObjectEvent> events, Duration timeout) {
    List<Future<RecordMetadata>> sent = events.stream().map(this::publish).toList();
    awaitAll(sent, timeout);
  }

  /**
   * Blocks until every send so far has completed, successfully or not. It reports no failure:
   * {@link #publishAll} and the futures {@link #publish} returns do.
   */
  public void flush() {
    producer.flush();
  }

  private static void awaitAll(List<Future<RecordMetadata>> sent, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Future<RecordMetadata> future : sent) {
      try {
        future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while publishing events", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("publishing an event failed: " + e.getCause().getMessage(),
            e.getCause());
      } catch (TimeoutException e) {
        throw new IllegalStateException("publishing events took longer than " + timeout, e);
      }
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
