package io.s3index.indexer.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.indexer.apply.ApplyResult;
import io.s3index.indexer.apply.BatchWriter;
import io.s3index.indexer.apply.DeadLetter;
import io.s3index.indexer.apply.OffsetsMovedException;
import io.s3index.shared.events.EventParser;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.S3EventFormat;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The batch handler without a broker or a database: what it writes, dead-letters and commits. */
class BatchHandlerTest {

  private final S3EventFormat format = new S3EventFormat();

  /**
   * A writer that keeps what it was asked to write, holds offsets as the database would, and can
   * be told to fail once or to refuse a key as the database refuses a record.
   */
  private static final class RecordingWriter implements Function<BatchWriter.Batch, BatchWriter.Written> {
    final List<BatchWriter.Batch> written = new ArrayList<>();
    final Map<Integer, Long> stored = new HashMap<>();
    RuntimeException failNext;
    String refusedKey;

    @Override
    public BatchWriter.Written apply(BatchWriter.Batch batch) {
      if (failNext != null) {
        RuntimeException e = failNext;
        failNext = null;
        throw e;
      }
      for (var p : batch.progress()) {
        if (!java.util.Objects.equals(stored.get(p.partition()), batch.expectedOffsets().get(p.partition()))) {
          throw new OffsetsMovedException(batch.expectedOffsets(), stored);
        }
      }
      List<DeadLetter> dead = new ArrayList<>(batch.deadLetters());
      int applied = 0;
      for (int i = 0; i < batch.events().size(); i++) {
        if (batch.events().get(i).key().equals(refusedKey)) {
          DeadLetter d = batch.sourceOf().apply(i);
          dead.add(new DeadLetter(d.topic(), d.partition(), d.offset(), d.key(), d.value(), "refused"));
        } else {
          applied++;
        }
      }
      batch.progress().forEach(p -> stored.merge(p.partition(), p.nextOffset(), Math::max));
      written.add(batch);
      return new BatchWriter.Written(new ApplyResult(applied, 0), dead);
    }
  }

  private final RecordingWriter writer = new RecordingWriter();
  private final BatchHandler handler = new BatchHandler("g", new EventParser(), writer);

  private SourceRecord record(int partition, long offset, String key, long sequence) {
    ObjectEvent e = new ObjectEvent("b", key, ObjectEvent.Kind.CREATED, sequence, "e", null,
        String.format("%016X", sequence), Instant.ofEpochSecond(1_700_000_000L), "ObjectCreated:Put");
    return new SourceRecord("t", partition, offset, ("b/" + key).getBytes(StandardCharsets.UTF_8), format.toJson(e));
  }

  private static SourceRecord raw(int partition, long offset, String payload) {
    return new SourceRecord("t", partition, offset, null, payload.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void commitsTheNextOffsetOfEveryPartitionItWrote() {
    handler.assigned(List.of(0, 1), Map.of());
    BatchOutcome outcome = handler.handle(List.of(record(0, 5, "a", 1), record(1, 9, "b", 2), record(0, 6, "c", 3)));
    assertThat(outcome.commit()).isEqualTo(Map.of(0, 7L, 1, 10L));
    assertThat(writer.written.get(0).progress()).extracting(p -> p.partition() + "@" + p.nextOffset())
        .containsExactlyInAnyOrder("0@7", "1@10");
    assertThat(handler.believedOffsets()).isEqualTo(Map.of(0, 7L, 1, 10L));
    // The next batch expects what the first stored.
    handler.handle(List.of(record(0, 7, "d", 4)));
    assertThat(writer.written.get(1).expectedOffsets()).isEqualTo(Map.of(0, 7L));
  }

  @Test
  void aPoisonRecordIsDeadLetteredAndTheRestWritten() {
    BatchOutcome outcome = handler.handle(List.of(record(0, 0, "a", 1), raw(0, 1, "not json"),
        raw(0, 2, "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventTime\":\"2025-01-01T00:00:00Z\","
            + "\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"ok\"}}},"
            + "{\"eventVersion\":\"2.1\",\"eventTime\":\"2025-01-01T00:00:00Z\",\"eventName\":\"ObjectCreated:Put\","
            + "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"bad\",\"size\":1.5}}}]}"),
        record(0, 3, "z", 2)));
    assertThat(writer.written.get(0).events()).extracting(ObjectEvent::key).containsExactly("a", "ok", "z");
    assertThat(outcome.deadLetters()).extracting(DeadLetter::offset).containsExactly(1L, 2L);
    assertThat(outcome.deadLetters().get(0).error()).contains("not JSON");
    assertThat(outcome.deadLetters().get(1).error()).contains("Records[1]", "size");
    assertThat(outcome.commit()).isEqualTo(Map.of(0, 4L));
  }

  @Test
  void aRecordTheDatabaseRefusesIsDeadLetteredAsItsMessage() {
    writer.refusedKey = "refused";
    BatchOutcome outcome = handler.handle(List.of(record(0, 0, "a", 1), record(0, 1, "refused", 2)));
    assertThat(outcome.result().applied()).isEqualTo(1);
    assertThat(outcome.deadLetters()).singleElement().satisfies(d -> {
      assertThat(d.offset()).isEqualTo(1L);
      assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("b/refused");
    });
  }

  @Test
  void aBatchWhoseWriteFailsTransientlyCommitsNothingAndCanBeRetried() {
    handler.assigned(List.of(0), Map.of(0, 10L));
    writer.stored.put(0, 10L);
    writer.failNext = new IllegalStateException("connection lost");
    List<SourceRecord> batch = List.of(record(0, 10, "a", 1), record(0, 11, "b", 2));
    assertThatThrownBy(() -> handler.handle(batch)).hasMessage("connection lost");
    assertThat(handler.believedOffsets()).isEqualTo(Map.of(0, 10L));
    assertThat(writer.written).isEmpty();
    assertThat(handler.handle(batch).commit()).isEqualTo(Map.of(0, 12L));
  }

  @Test
  void duplicateKeysInOneBatchAreAllHandedToTheWriter() {
    BatchOutcome outcome = handler.handle(List.of(record(0, 0, "k", 2), record(0, 1, "k", 1), record(0, 2, "k", 2)));
    assertThat(writer.written.get(0).events()).extracting(ObjectEvent::key).containsExactly("k", "k", "k");
    assertThat(outcome.commit()).isEqualTo(Map.of(0, 3L));
  }

  @Test
  void whenTheDatabaseHoldsOtherOffsetsItsWordIsTaken() {
    handler.assigned(List.of(0), Map.of(0, 50L));
    // The database lost its last commits: it holds 30, not 50.
    writer.stored.put(0, 30L);
    assertThatThrownBy(() -> handler.handle(List.of(record(0, 50, "a", 1))))
        .isInstanceOf(OffsetsMovedException.class)
        .satisfies(e -> assertThat(((OffsetsMovedException) e).stored()).isEqualTo(Map.of(0, 30L)));
    assertThat(handler.believedOffsets()).isEqualTo(Map.of(0, 30L));
    assertThat(writer.written).isEmpty();
    // Read again from 30, the batch is written.
    assertThat(handler.handle(List.of(record(0, 30, "a", 1))).commit()).isEqualTo(Map.of(0, 31L));
  }
}
