package io.s3index.queryapi.listing;

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

  static String format(Instant instant) {
    long seconds = instant.getEpochSecond();
    if (seconds < FIRST || seconds >= END) {
      return instant.toString();
    }
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
    int year = date.getYear();
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    int nano = instant.getNano();
    char[] out = new char[30];
    digits(out, 0, year, 4);
    out[4] = '-';
    digits(out, 5, date.getMonthValue(), 2);
    out[7] = '-';
    digits(out, 8, date.getDayOfMonth(), 2);
    out[10] = 'T';
    digits(out, 11, secondOfDay / 3600, 2);
    out[13] = ':';
    digits(out, 14, secondOfDay / 60 % 60, 2);
    out[16] = ':';
    digits(out, 17, secondOfDay % 60, 2);
    int length = 19;
    if (nano > 0) {
      out[length++] = '.';
      if (nano % 1_000_000 == 0) {
        digits(out, length, nano / 1_000_000, 3);
        length += 3;
      } else if (nano % 1_000 == 0) {
        digits(out, length, nano / 1_000, 6);
        length += 6;
      } else {
        digits(out, length, nano, 9);
        length += 9;
      }
    }
    out[length++] = 'Z';
    return new String(out, 0, length);
  }

  private static void digits(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }
}
