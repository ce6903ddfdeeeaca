package io.s3index.queryapi.listing;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * A JSON document written straight into UTF-8 bytes, for the object answers. Text columns arrive
 * from PostgreSQL as UTF-8 and are escaped byte by byte into the document without ever becoming
 * Java strings; stored metadata, already JSON, is copied as it is.
 *
 * <p>Escaping matches Jackson's default generator, which writes every other answer of this API:
 * {@code "} and {@code \} are escaped, control characters below U+0020 become {@code \b \t \n \f
 * \r} or a backslash, {@code u00} and two hex digits; everything else (DEL and all non-ASCII text
 * included) passes through as UTF-8.
 *
 * <p>Commas are placed automatically: a value or a field name that follows a complete value in
 * the same object or array gets one.
 */
final class JsonOut {

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = {'n', 'u', 'l', 'l'};
  private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};

  /** For each ASCII byte: 0 to copy it, 'u' for a six-character escape of the code, otherwise the letter after the backslash. */
  private static final byte[] ESCAPES = new byte[128];

  static {
    for (int c = 0; c < 0x20; c++) {
      ESCAPES[c] = 'u';
    }
    ESCAPES['\b'] = 'b';
    ESCAPES['\t'] = 't';
    ESCAPES['\n'] = 'n';
    ESCAPES['\f'] = 'f';
    ESCAPES['\r'] = 'r';
    ESCAPES['"'] = '"';
    ESCAPES['\\'] = '\\';
  }

  private byte[] buf;
  private int len;
  /** Whether the last thing written was a complete value, so the next one needs a comma. */
  private boolean afterValue;

  JsonOut(int expectedSize) {
    buf = new byte[Math.max(64, expectedSize)];
  }

  JsonOut beginObject() {
    return open((byte) '{');
  }

  JsonOut endObject() {
    return close((byte) '}');
  }

  JsonOut beginArray() {
    return open((byte) '[');
  }

  JsonOut endArray() {
    return close((byte) ']');
  }

  private JsonOut open(byte bracket) {
    comma();
    put(bracket);
    afterValue = false;
    return this;
  }

  private JsonOut close(byte bracket) {
    put(bracket);
    afterValue = true;
    return this;
  }

  /** A field name: a constant of this API, plain ASCII that needs no escaping. */
  JsonOut name(String name) {
    comma();
    ensure(name.length() + 3);
    buf[len++] = '"';
    for (int i = 0; i < name.length(); i++) {
      buf[len++] = (byte) name.charAt(i);
    }
    buf[len++] = '"';
    buf[len++] = ':';
    afterValue = false;
    return this;
  }

  /** A string given as its UTF-8 bytes, or null. */
  JsonOut string(byte[] utf8) {
    if (utf8 == null) {
      return nullValue();
    }
    comma();
    // Most text needs no escape at all: a read-only scan, eight bytes at a time, then one copy.
    int escapes = needsEscape(utf8) ? countEscapes(utf8) : 0;
    ensure(utf8.length + escapes * 5 + 2);
    buf[len++] = '"';
    if (escapes == 0) {
      System.arraycopy(utf8, 0, buf, len, utf8.length);
      len += utf8.length;
    } else {
      escape(utf8);
    }
    buf[len++] = '"';
    afterValue = true;
    return this;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /**
   * Whether any byte is below 0x20, a quote or a backslash. Eight at a time: for a word x,
   * {@code (x - 0x01..01 * n) & ~x & 0x80..80} is non-zero exactly when some byte of x is below
   * n, and a byte equal to c is a zero byte of {@code x ^ c..c}; bytes of 0x80 and above (UTF-8
   * sequences) never match, as the {@code ~x} term clears them.
   */
  static boolean needsEscape(byte[] utf8) {
    int i = 0;
    for (; i + 8 <= utf8.length; i += 8) {
      long x = (long) LONGS.get(utf8, i);
      long quote = x ^ (ONES * '"');
      long backslash = x ^ (ONES * '\\');
      long found = ((x - ONES * 0x20) & ~x)
          | ((quote - ONES) & ~quote)
          | ((backslash - ONES) & ~backslash);
      if ((found & HIGHS) != 0) {
        return true;
      }
    }
    for (; i < utf8.length; i++) {
      byte c = utf8[i];
      if (c >= 0 && ESCAPES[c] != 0) {
        return true;
      }
    }
    return false;
  }

  private static int countEscapes(byte[] utf8) {
    int escapes = 0;
    for (byte c : utf8) {
      if (c >= 0 && ESCAPES[c] != 0) {
        escapes++;
      }
    }
    return escapes;
  }

  private void escape(byte[] utf8) {
    byte[] b = buf;
    int n = len;
    for (byte c : utf8) {
      if (c < 0 || ESCAPES[c] == 0) {
        b[n++] = c;
        continue;
      }
      byte e = ESCAPES[c];
      b[n++] = '\\';
      if (e == 'u') {
        b[n++] = 'u';
        b[n++] = '0';
        b[n++] = '0';
        b[n++] = HEX[c >> 4];
        b[n++] = HEX[c & 0xF];
      } else {
        b[n++] = e;
      }
    }
    len = n;
  }

  /** An instant as an ISO-8601 string in UTC, exactly as {@link Instant#toString()} writes it. */
  JsonOut instant(Instant instant) {
    comma();
    ensure(IsoInstant.MAX_LENGTH + 2);
    buf[len++] = '"';
    len = IsoInstant.write(instant, buf, len);
    buf[len++] = '"';
    afterValue = true;
    return this;
  }

  /** A string, or null. */
  JsonOut string(String text) {
    return text == null ? nullValue() : string(text.getBytes(StandardCharsets.UTF_8));
  }

  JsonOut number(long value) {
    if (value == Long.MIN_VALUE) {
      return literal(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
    }
    comma();
    ensure(20);
    if (value < 0) {
      buf[len++] = '-';
      value = -value;
    }
    int digits = 1;
    for (long rest = value / 10; rest > 0; rest /= 10) {
      digits++;
    }
    Digits.write(buf, len, value, digits);
    len += digits;
    afterValue = true;
    return this;
  }

  JsonOut bool(boolean value) {
    return literal(value ? TRUE : FALSE);
  }

  JsonOut nullValue() {
    return literal(NULL);
  }

  /** A value that is already a JSON document in UTF-8 (stored metadata), or null. */
  JsonOut rawValue(byte[] json) {
    return json == null ? nullValue() : literal(json);
  }

  private JsonOut literal(byte[] bytes) {
    comma();
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
    afterValue = true;
    return this;
  }

  int size() {
    return len;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, len);
  }

  private void comma() {
    if (afterValue) {
      put((byte) ',');
    }
  }

  private void put(byte b) {
    ensure(1);
    buf[len++] = b;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }
}
