package io.s3index.indexer.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.shared.events.ObjectEvent;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchWriterTest {

  private static ObjectEvent event(String key, String sequencer, ObjectEvent.Kind kind) {
    return new ObjectEvent("b", key, kind, 1, "e", null, sequencer, Instant.EPOCH, "x");
  }

  @Test
  void keepsTheNewestEventPerKey() {
    ObjectEvent a1 = event("a", "01", ObjectEvent.Kind.CREATED);
    ObjectEvent a3 = event("a", "03", ObjectEvent.Kind.REMOVED);
    ObjectEvent a2 = event("a", "02", ObjectEvent.Kind.CREATED);
    ObjectEvent b1 = event("b", "01", ObjectEvent.Kind.CREATED);
    assertThat(BatchWriter.newestPerKey(List.of(a1, a3, b1, a2))).containsExactly(a3, b1);
  }

  @Test
  void comparesSequencersByTheAwsRule() {
    // "0A" beats "09FFFF": right-padded, 0A0000 > 09FFFF.
    ObjectEvent longer = event("a", "09FFFF", ObjectEvent.Kind.CREATED);
    ObjectEvent shorter = event("a", "0A", ObjectEvent.Kind.REMOVED);
    assertThat(BatchWriter.newestPerKey(List.of(longer, shorter))).containsExactly(shorter);
    assertThat(BatchWriter.newestPerKey(List.of(shorter, longer))).containsExactly(shorter);
  }
}
