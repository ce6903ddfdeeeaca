package io.s3index.indexer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the dead letters that batches stored in the {@code dead_letters} outbox to {@code
 * <topic>.dlq}, and marks them sent.
 *
 * <p>The guarantee: a poison message is stored once, in the transaction of the batch that found
 * it, however often that batch failed and was retried before (a failed attempt stores nothing,
 * and a committed batch is never read again). It is sent once, unless the indexer dies after the
 * broker took it and before the outbox row is marked sent: then it is sent again, with the same
 * key, value and {@code s3index.source.*} headers, so that a reader can drop the repeat. That is
 * at least once across such a crash, exactly once otherwise. Sending holds the rows' locks (FOR
 * UPDATE SKIP LOCKED), so two indexers never send the same row.
 */
final class DeadLetterOutbox {

  private static final Logger log = LoggerFactory.getLogger(DeadLetterOutbox.class);
  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String UNSENT = SQL.locate(DeadLetterOutbox.class, "unsent");
  private static final String MARK_SENT = SQL.locate(DeadLetterOutbox.class, "mark-sent");
  private static final String FORGET_SENT = SQL.locate(DeadLetterOutbox.class, "forget-sent");
  private static final int BATCH = 500;
  private static final Duration FORGET_EVERY = Duration.ofHours(1);

  private final Jdbi jdbi;
  private final String group;
  private final String topic;
  private final String deadLetterTopic;
  private final Producer<byte[], byte[]> producer;
  private volatile boolean pending = true;
  private volatile long forgottenAt;

  DeadLetterOutbox(Jdbi jdbi, String group, String topic, String deadLetterTopic,
      Producer<byte[], byte[]> producer) {
    this.jdbi = jdbi;
    this.group = group;
    this.topic = topic;
    this.deadLetterTopic = deadLetterTopic;
    this.producer = producer;
  }

  /** A batch stored dead letters: send them at the next {@link #flush()}. */
  void stored() {
    pending = true;
  }

  /**
   * Sends what the outbox holds unsent (this group and topic), if anything may be there.
   *
   * @return how many were sent
   * @throws RuntimeException when the database or the broker fails; what was not marked sent
   *     stays in the outbox for the next call
   */
  int flush() {
    if (!pending) {
      return 0;
    }
    int sent = 0;
    int round;
    do {
      round = jdbi.inTransaction(h -> {
        List<Row> rows = h.createQuery(UNSENT).bind("group", group).bind("topic", topic).bind("limit", BATCH)
            .map((rs, ctx) -> new Row(rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getBytes(4),
                rs.getBytes(5), rs.getString(6), rs.getObject(7, OffsetDateTime.class).toInstant()))
            .list();
        send(rows);
        h.createUpdate(MARK_SENT).bind("group", group).bind("topic", topic)
            .bindArray("partitions", Integer.class, rows.stream().map(Row::partition).toList())
            .bindArray("offsets", Long.class, rows.stream().map(Row::offset).toList())
            .execute();
        return rows.size();
      });
      sent += round;
    } while (round == BATCH);
    pending = false;
    if (System.nanoTime() - forgottenAt > FORGET_EVERY.toNanos()) {
      forgottenAt = System.nanoTime();
      jdbi.useHandle(h -> h.createUpdate(FORGET_SENT).bind("group", group).bind("topic", topic).execute());
    }
    if (sent > 0) {
      log.info("sent {} dead letter(s) to {}", sent, deadLetterTopic);
    }
    return sent;
  }

  private record Row(String topic, int partition, long offset, byte[] key, byte[] value, String error,
      Instant failedAt) {}

  private void send(List<Row> rows) {
    List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
    for (Row row : rows) {
      RecordHeaders headers = new RecordHeaders();
      headers.add("s3index.error", utf8(row.error()));
      headers.add("s3index.source.topic", utf8(row.topic()));
      headers.add("s3index.source.partition", utf8(Integer.toString(row.partition())));
      headers.add("s3index.source.offset", utf8(Long.toString(row.offset())));
      headers.add("s3index.failed.at", utf8(row.failedAt().toString()));
      acks.add(producer.send(new ProducerRecord<>(deadLetterTopic, null, row.key(), row.value(), headers)));
      log.warn("dead-lettering {}-{}@{}: {}", row.topic(), row.partition(), row.offset(), row.error());
    }
    for (Future<RecordMetadata> ack : acks) {
      try {
        ack.get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while dead-lettering", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("dead letter not accepted by the broker", e);
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
