package io.s3index.shared.events;

import java.time.Instant;
import java.util.Locale;

/**
 * The ordering rule for events of one (bucket, key).
 *
 * <p>S3's {@code sequencer} is a hex string; AWS says to compare two of them by padding the
 * shorter one with zeros on the right, then comparing. {@link #normalize} turns a sequencer into
 * a form whose plain string order (and PostgreSQL's {@code COLLATE "C"} order) is exactly that
 * rule: upper-case, with trailing zeros removed. Two sequencers that differ only in trailing zeros
 * are equal under the AWS rule and equal after normalization.
 *
 * <p>Events without a sequencer (some producers omit it) get {@link #fromEventTime}: the event
 * time in microseconds since the epoch as 16 hex digits, normalized the same way. It orders such
 * events by time, deterministically, so a replay derives the same value.
 */
public final class Sequencer {

  private Sequencer() {}

  /**
   * Normalizes a hex sequencer.
   *
   * @throws IllegalArgumentException if {@code raw} is empty or not hexadecimal
   */
  public static String normalize(String raw) {
    if (raw == null || raw.isEmpty()) {
      throw new IllegalArgumentException("sequencer is empty");
    }
    String upper = raw.toUpperCase(Locale.ROOT);
    int end = upper.length();
    for (int i = 0; i < end; i++) {
      char c = upper.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
        throw new IllegalArgumentException("sequencer is not hexadecimal: " + raw);
      }
    }
    while (end > 0 && upper.charAt(end - 1) == '0') {
      end--;
    }
    return upper.substring(0, end);
  }

  /**
   * The deterministic sequencer of an event that carries none: its time in microseconds.
   *
   * @throws IllegalArgumentException if the time lies outside {@link EventLimits#MIN_TIME} to
   *     {@link EventLimits#MAX_TIME}, where 16 hex digits would not order it
   */
  public static String fromEventTime(Instant eventTime) {
    if (eventTime.isBefore(EventLimits.MIN_TIME) || eventTime.isAfter(EventLimits.MAX_TIME)) {
      throw new IllegalArgumentException("event time " + eventTime
          + " is outside the range a derived sequencer can order");
    }
    long micros = Math.addExact(
        Math.multiplyExact(eventTime.getEpochSecond(), 1_000_000L), eventTime.getNano() / 1_000L);
    return normalize(String.format(Locale.ROOT, "%016X", micros));
  }

  /** Compares two raw sequencers by the AWS rule. */
  public static int compare(String a, String b) {
    return normalize(a).compareTo(normalize(b));
  }
}
