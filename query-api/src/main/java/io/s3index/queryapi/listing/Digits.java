package io.s3index.queryapi.listing;

/** Decimal digits written straight into a byte array, for {@link JsonOut} and {@link IsoInstant}. */
final class Digits {

  /** "00" to "99": digits written two at a time, a hundred timestamps per page. */
  private static final byte[] PAIRS = new byte[200];

  static {
    for (int i = 0; i < 100; i++) {
      PAIRS[2 * i] = (byte) ('0' + i / 10);
      PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
    }
  }

  private Digits() {}

  /** Writes {@code value} as exactly {@code width} digits, zero-padded, at {@code at}. */
  static void write(byte[] out, int at, long value, int width) {
    int i = at + width;
    while (i - at >= 2) {
      int pair = (int) (value % 100);
      value /= 100;
      out[--i] = PAIRS[2 * pair + 1];
      out[--i] = PAIRS[2 * pair];
    }
    if (i > at) {
      out[--i] = (byte) ('0' + value % 10);
    }
  }
}
