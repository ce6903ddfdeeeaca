package io.s3index.queryapi.s3;

import java.nio.charset.StandardCharsets;

/** Percent-encoding of UTF-8 bytes, with the safe set each use of S3 asks for. */
final class PercentEncoding {

  private PercentEncoding() {}

  /**
   * Every byte of the UTF-8 form as %XX (upper-case hex) except ASCII letters, digits and the
   * characters of {@code keep}; a space as '+' when {@code spaceAsPlus}.
   */
  static String encode(String value, String keep, boolean spaceAsPlus) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder(bytes.length + 16);
    for (byte x : bytes) {
      int c = x & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || (c < 0x80 && keep.indexOf(c) >= 0)) {
        b.append((char) c);
      } else if (c == ' ' && spaceAsPlus) {
        b.append('+');
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }
}
