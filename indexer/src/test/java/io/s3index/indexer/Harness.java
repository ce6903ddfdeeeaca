package io.s3index.indexer;

import static org.awaitility.Awaitility.await;

import io.s3index.testing.KafkaServer;
import io.s3index.testing.TestServers;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.S3EventFormat;
import io.s3index.shared.events.Sequencer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A topic and a database of one test class's own, on the shared embedded servers. */
final class Harness implements AutoCloseable {

  final KafkaServer kafka = TestServers.kafka();
  final String topic;
  final DatabaseConfig db;
  final Database database;
  private final KafkaProducer<String, byte[]> producer;
  private final S3EventFormat format = new S3EventFormat();

  Harness(String name, int partitions) {
    this.topic = name + "-events";
    kafka.createTopic(topic, partitions);
    kafka.createTopic(topic + ".dlq", 1);
    this.db = TestServers.postgres().createDatabase(name.replace('-', '_'));
    this.database = new Database(db, name);
    database.migrate();
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5),
        new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * The indexer as a child process (its main class, configured by environment) on this topic and
   * database, the metrics port off; {@code settings} add to or replace those variables.
   */
  ProcessBuilder indexerProcess(String maxHeap, Map<String, String> settings) {
    ProcessBuilder pb = new ProcessBuilder(
        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        IndexerMain.class.getName());
    Map<String, String> env = pb.environment();
    env.put("S3INDEX_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    env.put("S3INDEX_TOPIC", topic);
    env.put("S3INDEX_DB_URL", db.jdbcUrl());
    env.put("S3INDEX_DB_USER", db.user());
    env.put("S3INDEX_DB_PASSWORD", db.password());
    env.put("S3INDEX_INDEXER_METRICS_PORT", "-1");
    env.putAll(settings);
    return pb.redirectErrorStream(true);
  }

  IndexerConfig config(String group) {
    return IndexerConfig.of(kafka.bootstrapServers(), topic, db).withGroupId(group);
  }

  static String seq(long n) {
    return Sequencer.normalize(String.format(Locale.ROOT, "%016X", n));
  }

  static ObjectEvent created(String bucket, String key, long sequence, long size) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.CREATED, size, "etag-" + sequence, null,
        seq(sequence), Instant.ofEpochSecond(1_700_000_000L).plusMillis(sequence), "ObjectCreated:Put");
  }

  static ObjectEvent removed(String bucket, String key, long sequence, boolean marker) {
    return new ObjectEvent(bucket, key, ObjectEvent.Kind.REMOVED, 0, null, marker ? "m" + sequence : null,
        seq(sequence), Instant.ofEpochSecond(1_700_000_000L).plusMillis(sequence),
        marker ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete");
  }

  /** Sends to a partition of the caller's choosing (null: by key, as S3 stores do). */
  Future<RecordMetadata> send(ObjectEvent event, Integer partition) {
    return producer.send(new ProducerRecord<>(topic, partition, S3EventFormat.messageKey(event),
        format.toJson(event)));
  }

  Future<RecordMetadata> sendRaw(String key, byte[] payload, Integer partition) {
    return producer.send(new ProducerRecord<>(topic, partition, key, payload));
  }

  void sendAll(List<ObjectEvent> events, java.util.function.Function<ObjectEvent, Integer> partition) {
    List<Future<RecordMetadata>> sent = events.stream().map(e -> send(e, partition.apply(e))).toList();
    for (Future<RecordMetadata> f : sent) {
      try {
        f.get();
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A message of the dead-letter topic: where its source was, and why it was set aside. */
  record DeadLetterSeen(int partition, long offset, String error, String value) {}

  /** Everything the dead-letter topic holds now, read from its start to its end. */
  List<DeadLetterSeen> deadLetters() {
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(Map.of(
        org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partition = new org.apache.kafka.common.TopicPartition(topic + ".dlq", 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      List<DeadLetterSeen> seen = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(partition) < end && System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          seen.add(new DeadLetterSeen(
              Integer.parseInt(header(r, "s3index.source.partition")),
              Long.parseLong(header(r, "s3index.source.offset")),
              header(r, "s3index.error"),
              new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)));
        }
      }
      return seen;
    }
  }

  private static String header(org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Live objects of a bucket: key to size. */
  Map<String, Long> live(String bucket) {
    return live(database, bucket);
  }

  /** Live objects of a bucket in another database: key to size. */
  static Map<String, Long> live(Database database, String bucket) {
    return database.jdbi().withHandle(h -> h.createQuery(
            "SELECT key, size FROM objects WHERE bucket = :b AND NOT deleted")
        .bind("b", bucket)
        .reduceRows(new HashMap<String, Long>(), (map, row) -> {
          map.put(row.getColumn("key", String.class), row.getColumn("size", Long.class));
          return map;
        }));
  }

  /** Waits until the bucket's live objects equal the expected ones. */
  void awaitLive(String bucket, Map<String, Long> expected, Duration timeout) {
    await("bucket " + bucket + " holds the expected " + expected.size() + " objects").atMost(timeout).until(() -> live(bucket).equals(expected));
  }

  @Override
  public void close() {
    producer.close();
    database.close();
  }
}
