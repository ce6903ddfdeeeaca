package io.s3index.shared.events;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Rules for object keys: how events encode them, and which keys the index accepts. */
public final class ObjectKeys {

  /** S3's limit on a key, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 1024;

  private ObjectKeys() {}

  /**
   * Decodes a key as event notifications carry it: form-URL-encoded, so {@code +} is a space and
   * {@code %XX} are UTF-8 bytes (MinIO encodes {@code /} as {@code %2F} too).
   *
   * @throws InvalidEventException if the encoding is broken or the key is not acceptable
   */
  public static String decodeEventKey(String encoded) {
    EventLimits.checkText(encoded, "object key");
    String key;
    try {
      key = percentDecode(encoded, true);
    } catch (IllegalArgumentException e) {
      throw new InvalidEventException("object key " + e.getMessage() + ": " + encoded, e);
    }
    check(key);
    return key;
  }

  /**
   * The one strict URL decoder (event keys, the API's query strings and paths): {@code %XX} are
   * UTF-8 bytes, unescaped characters (raw non-ASCII included) stand for their own UTF-8 bytes,
   * and {@code +} is a space when {@code plusIsSpace} (form encoding) or itself otherwise.
   *
   * @throws IllegalArgumentException saying "has a broken %-escape" or "is not valid UTF-8 once
   *     decoded"
   */
  public static String percentDecode(String encoded, boolean plusIsSpace) {
    if (encoded.indexOf('%') < 0 && (!plusIsSpace || encoded.indexOf('+') < 0)) {
      return encoded;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '+' && plusIsSpace) {
        bytes.write(' ');
      } else if (c == '%') {
        int hi = i + 2 < encoded.length() ? Character.digit(encoded.charAt(i + 1), 16) : -1;
        int lo = hi >= 0 ? Character.digit(encoded.charAt(i + 2), 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("has a broken %-escape");
        }
        bytes.write((hi << 4) | lo);
        i += 2;
      } else {
        int end = Character.isHighSurrogate(c) && i + 1 < encoded.length() ? i + 2 : i + 1;
        bytes.writeBytes(encoded.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end - 1;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("is not valid UTF-8 once decoded");
    }
  }

  /**
   * Checks that a decoded key can be indexed: not empty, at most {@value #MAX_KEY_BYTES} UTF-8
   * bytes, no NUL (PostgreSQL text cannot hold it).
   *
   * @throws InvalidEventException if not
   */
  public static void check(String key) {
    if (key.isEmpty()) {
      throw new InvalidEventException("object key is empty");
    }
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_KEY_BYTES) {
      throw new InvalidEventException(
          "object key is " + bytes + " bytes, over the limit of " + MAX_KEY_BYTES);
    }
    if (key.indexOf('\0') >= 0) {
      throw new InvalidEventException("object key contains a NUL character");
    }
  }

  /**
   * The smallest string greater than every string that starts with {@code prefix}, in code point
   * (= UTF-8 byte, = {@code COLLATE "C"}) order; null when there is none (empty prefix, or one made
   * only of U+10FFFF). {@code key >= prefix AND key < upperBound(prefix)} is the prefix as a range.
   */
  public static String prefixUpperBound(String prefix) {
    int[] cps = prefix.codePoints().toArray();
    for (int i = cps.length - 1; i >= 0; i--) {
      int next = cps[i] + 1;
      if (next == Character.MIN_SURROGATE) {
        next = Character.MAX_SURROGATE + 1;
      }
      if (next <= Character.MAX_CODE_POINT) {
        cps[i] = next;
        return new String(cps, 0, i + 1);
      }
    }
    return null;
  }
}
