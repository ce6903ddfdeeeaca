package io.s3index.queryapi.listing;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Formats an instant exactly as {@link Instant#toString()} does (ISO-8601 in UTC, seconds always,
 * then 0, 3, 6 or 9 fraction digits as needed), without the general formatter's machinery,
 * which took a noticeable share of a page's time at a hundred timestamps per page.
 */
final class IsoInstant {

  private static final long SECONDS_PER_DAY = 86_400;
  /** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the fast path covers four-digit years. */
  private static final long FIRST = -62_167_219_200L;
  private static final long END = 253_402_300_800L;

  private IsoInstant() {}

  /** The most bytes {@link #write} writes (a nine-digit year, as {@link Instant#MAX} has). */
  static final int MAX_LENGTH = 40;

  static String format(Instant instant) {
    byte[] out = new byte[MAX_LENGTH];
    return new String(out, 0, write(instant, out, 0), StandardCharsets.US_ASCII);
  }

  /**
   * Writes the instant as ASCII at {@code at}, which must have {@link #MAX_LENGTH} bytes of room.
   *
   * @return the index after the last byte written
   */
  static int write(Instant instant, byte[] out, int at) {
    long seconds = instant.getEpochSecond();
    if (seconds < FIRST || seconds >= END) {
      byte[] text = instant.toString().getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(text, 0, out, at, text.length);
      return at + text.length;
    }
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    int nano = instant.getNano();
    Digits.write(out, at, date.getYear(), 4);
    out[at + 4] = '-';
    Digits.write(out, at + 5, date.getMonthValue(), 2);
    out[at + 7] = '-';
    Digits.write(out, at + 8, date.getDayOfMonth(), 2);
    out[at + 10] = 'T';
    Digits.write(out, at + 11, secondOfDay / 3600, 2);
    out[at + 13] = ':';
    Digits.write(out, at + 14, secondOfDay / 60 % 60, 2);
    out[at + 16] = ':';
    Digits.write(out, at + 17, secondOfDay % 60, 2);
    int end = at + 19;
    if (nano > 0) {
      out[end++] = '.';
      if (nano % 1_000_000 == 0) {
        Digits.write(out, end, nano / 1_000_000, 3);
        end += 3;
      } else if (nano % 1_000 == 0) {
        Digits.write(out, end, nano / 1_000, 6);
        end += 6;
      } else {
        Digits.write(out, end, nano, 9);
        end += 9;
      }
    }
    out[end++] = 'Z';
    return end;
  }
}
