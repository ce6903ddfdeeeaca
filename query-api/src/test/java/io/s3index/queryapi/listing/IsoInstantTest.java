package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoInstantTest {

  @Test
  void formatsExactlyAsInstantToString() {
    Random random = new Random(5);
    for (int i = 0; i < 200_000; i++) {
      // Seconds from about year -2000 to 12000, with every shape of fraction.
      long seconds = (long) (random.nextDouble() * 440_000_000_000L) - 125_000_000_000L;
      int nano = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000;
        case 2 -> random.nextInt(1_000_000) * 1_000;
        default -> random.nextInt(1_000_000_000);
      };
      Instant instant = Instant.ofEpochSecond(seconds, nano);
      assertThat(IsoInstant.format(instant)).as("%s", instant).isEqualTo(instant.toString());
    }
  }

  @Test
  void edgesOfTheFastPath() {
    for (Instant instant : new Instant[] {
        Instant.EPOCH, Instant.ofEpochSecond(-1), Instant.ofEpochSecond(0, 1),
        Instant.parse("0000-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999999Z"),
        Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("-0001-12-31T23:59:59Z"),
        Instant.parse("2024-02-29T12:34:56.100Z"), Instant.parse("2024-02-29T12:34:56.000100Z"),
        Instant.MIN, Instant.MAX}) {
      assertThat(IsoInstant.format(instant)).isEqualTo(instant.toString());
    }
  }
}
