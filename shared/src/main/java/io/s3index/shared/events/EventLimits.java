package io.s3index.shared.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * What the index can hold, checked before anything reaches the database: a value that breaks one
 * of these rules would be refused by PostgreSQL for its one record (a NUL in text, an index entry
 * too large for a B-tree page, a time outside {@code timestamptz}), and the parser refuses it
 * up front instead, with a reason fit for a dead-letter header.
 */
public final class EventLimits {

  /** Bucket names: S3's characters, with the relaxed rules Ceph RGW and legacy buckets allow. */
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");

  /**
   * Content types are indexed beside the bucket and the key (1,024 bytes at most); a B-tree entry
   * must stay under 2,704 bytes, so 1,024 bytes for the type leaves room. RFC 6838 types are far
   * shorter.
   */
  public static final int MAX_CONTENT_TYPE_BYTES = 1024;

  /** The earliest event time accepted; S3 has no events before the epoch. */
  public static final Instant MIN_TIME = Instant.parse("1970-01-01T00:00:00Z");

  /**
   * The latest event time accepted: RFC 3339's four-digit years. Its microseconds fit the 16 hex
   * digits of a derived sequencer, and PostgreSQL's {@code timestamptz} goes far beyond it.
   */
  public static final Instant MAX_TIME = Instant.parse("9999-12-31T23:59:59.999999Z");

  private EventLimits() {}

  /**
   * Checks a text value: no NUL (PostgreSQL text cannot hold one) and no unpaired UTF-16
   * surrogate (it has no UTF-8 form, and would be stored as {@code ?}, colliding with real text).
   *
   * @return the value
   * @throws InvalidEventException naming {@code what} if not
   */
  public static String checkText(String value, String what) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\0') {
        throw new InvalidEventException(what + " contains a NUL character");
      }
      if (Character.isHighSurrogate(c) && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidEventException(what + " contains an unpaired surrogate (U+"
            + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT) + ") that UTF-8 cannot encode");
      }
    }
    return value;
  }

  /** Checks a bucket name: 1 to 255 of {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit. */
  public static String checkBucket(String name, String where) {
    if (!BUCKET.matcher(name).matches()) {
      throw new InvalidEventException(where + ": not a bucket name (1 to 255 of A-Z a-z 0-9 . _ -): "
          + abbreviate(name));
    }
    return name;
  }

  /** Checks a content type's length (its text was checked on the way in). */
  public static String checkContentType(String contentType, String where) {
    int bytes = contentType.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_CONTENT_TYPE_BYTES) {
      throw new InvalidEventException(where + ": content type is " + bytes + " bytes, over the limit of "
          + MAX_CONTENT_TYPE_BYTES);
    }
    return contentType;
  }

  /** Checks that an event time lies within {@link #MIN_TIME} and {@link #MAX_TIME}. */
  public static Instant checkTime(Instant time, String where) {
    if (time.isBefore(MIN_TIME) || time.isAfter(MAX_TIME)) {
      throw new InvalidEventException(where + " is outside the supported range " + MIN_TIME + " to "
          + MAX_TIME + ": " + time);
    }
    return time;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "… (" + s.length() + " characters)";
  }
}
