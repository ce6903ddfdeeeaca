package io.s3index.indexer;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.testing.Waits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter guarantee across a crash. A batch stores its dead letters in the outbox in its
 * own transaction; if the indexer dies before sending them, the next one sends them. If it dies
 * after the broker took one and before marking it sent, the next one sends it again: at least once
 * across that crash, with the same source coordinates, so a reader can drop the repeat.
 */
class DeadLetterCrashIT {

  private static final byte[] POISON = "not json at all".getBytes(StandardCharsets.UTF_8);

  private void storeUnsent(Harness harness, long offset) {
    harness.database.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO dead_letters (consumer_group, topic, partition, source_offset, message_key, message, error)
            VALUES ('crash', :topic, 0, :offset, NULL, :message, 'message is not JSON')""")
        .bind("topic", harness.topic).bind("offset", offset).bind("message", POISON).execute());
  }

  private static long unsent(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT count(*) FROM dead_letters WHERE consumer_group = 'crash' AND sent_at IS NULL").mapTo(Long.class).one());
  }

  @Test
  void deadLettersLeftUnsentByACrashAreSentByTheNextIndexer() throws Exception {
    try (Harness harness = new Harness("dlq-crash", 1)) {
      // Died after its batch committed, before the send: the outbox holds the dead letter.
      storeUnsent(harness, 41);
      // Died after the broker took the send, before marking it: the outbox still says unsent.
      try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(java.util.Map.of(
          org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, harness.kafka.bootstrapServers()),
          new org.apache.kafka.common.serialization.ByteArraySerializer(),
          new org.apache.kafka.common.serialization.ByteArraySerializer())) {
        var record = new org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>(harness.topic + ".dlq", null, POISON);
        record.headers().add("s3index.error", "message is not JSON".getBytes(StandardCharsets.UTF_8));
        record.headers().add("s3index.source.topic", harness.topic.getBytes(StandardCharsets.UTF_8));
        record.headers().add("s3index.source.partition", "0".getBytes(StandardCharsets.UTF_8));
        record.headers().add("s3index.source.offset", "42".getBytes(StandardCharsets.UTF_8));
        producer.send(record).get();
      }
      storeUnsent(harness, 42);

      try (Indexer indexer = Indexer.start(harness.config("crash"), harness.database)) {
        Waits.until("the outbox is sent", Duration.ofSeconds(30), () -> unsent(harness) == 0, indexer::describe);
      }
      List<Harness.DeadLetterSeen> seen = harness.deadLetters();
      assertThat(seen.stream().filter(d -> d.offset() == 41)).as("left unsent: sent once").hasSize(1);
      assertThat(seen.stream().filter(d -> d.offset() == 42)).as("sent but not marked: sent again, same coordinates")
          .hasSize(2).allSatisfy(d -> assertThat(d.partition()).isZero());

      // A later indexer sends nothing more: every row is marked sent.
      try (Indexer again = Indexer.start(harness.config("crash"), harness.database)) {
        harness.sendRaw("late", POISON, 0).get();
        Waits.until("the new poison is dead-lettered", Duration.ofSeconds(30), () -> harness.deadLetters().size() == 4, again::describe);
      }
      assertThat(harness.deadLetters()).hasSize(4);
    }
  }
}
