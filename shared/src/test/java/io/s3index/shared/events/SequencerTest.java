package io.s3index.shared.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SequencerTest {

  @Test
  void normalizesCaseAndTrailingZeros() {
    assertThat(Sequencer.normalize("0055aed6dcd90281e5")).isEqualTo("0055AED6DCD90281E5");
    assertThat(Sequencer.normalize("00AB00")).isEqualTo("00AB");
    assertThat(Sequencer.normalize("000")).isEmpty();
  }

  @Test
  void padsTheShorterWithZerosOnTheRight() {
    // AWS rule: "AB" vs "AB00" are equal; "AB" < "AB01"; "B" > "AB0000".
    assertThat(Sequencer.compare("AB", "AB00")).isZero();
    assertThat(Sequencer.compare("AB", "AB01")).isNegative();
    assertThat(Sequencer.compare("B", "AB0000")).isPositive();
    assertThat(Sequencer.compare("0055AED6DCD90281E5", "0055AED6DCD90281E6")).isNegative();
  }

  @Test
  void agreesWithNumericComparisonOfRightPaddedValues() {
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      String a = randomHex(random);
      String b = randomHex(random);
      int width = Math.max(a.length(), b.length());
      String pa = (a + "0".repeat(width)).substring(0, width);
      String pb = (b + "0".repeat(width)).substring(0, width);
      int expected = Integer.signum(new java.math.BigInteger(pa, 16).compareTo(new java.math.BigInteger(pb, 16)));
      assertThat(Integer.signum(Sequencer.compare(a, b))).as("%s vs %s", a, b).isEqualTo(expected);
    }
  }

  @Test
  void rejectsNonHex() {
    assertThatThrownBy(() -> Sequencer.normalize("12G4")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Sequencer.normalize("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void derivedSequencersFollowEventTime() {
    Instant t = Instant.parse("2025-10-15T10:00:00.123456Z");
    assertThat(Sequencer.fromEventTime(t)).isEqualTo(Sequencer.fromEventTime(t));
    assertThat(Sequencer.fromEventTime(t).compareTo(Sequencer.fromEventTime(t.plusNanos(1000))))
        .isNegative();
    assertThat(Sequencer.fromEventTime(t).compareTo(Sequencer.fromEventTime(t.plusSeconds(86_400 * 365L))))
        .isNegative();
  }

  private static String randomHex(Random random) {
    int length = 1 + random.nextInt(6);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      s.append("0123456789ABCDEF".charAt(random.nextInt(random.nextBoolean() ? 3 : 16)));
    }
    return s.toString();
  }
}
