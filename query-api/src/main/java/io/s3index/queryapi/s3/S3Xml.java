package io.s3index.queryapi.s3;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Writes S3's XML documents: elements with text, escaped for XML. Characters XML 1.0 cannot hold
 * (control characters other than tab, newline and return) are written as character references,
 * as S3 does; clients that cannot read them ask for {@code encoding-type=url}.
 */
final class S3Xml {

  static final String NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final StringBuilder b;

  S3Xml(int capacity) {
    b = new StringBuilder(capacity);
    b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  }

  /** Opens the root element, in S3's namespace when {@code namespaced}. */
  S3Xml root(String name, boolean namespaced) {
    b.append('<').append(name);
    if (namespaced) {
      b.append(" xmlns=\"").append(NAMESPACE).append('"');
    }
    b.append('>');
    return this;
  }

  S3Xml open(String name) {
    b.append('<').append(name).append('>');
    return this;
  }

  S3Xml close(String name) {
    b.append("</").append(name).append('>');
    return this;
  }

  /** An element with text; nothing when {@code text} is null. */
  S3Xml element(String name, String text) {
    if (text != null) {
      open(name);
      escape(text);
      close(name);
    }
    return this;
  }

  S3Xml element(String name, long value) {
    return open(name).append(Long.toString(value)).close(name);
  }

  S3Xml element(String name, boolean value) {
    return open(name).append(value ? "true" : "false").close(name);
  }

  S3Xml element(String name, Instant time) {
    return element(name, ISO_MILLIS.format(time));
  }

  /** Text inside the current element. */
  S3Xml text(String text) {
    escape(text);
    return this;
  }

  private S3Xml append(String raw) {
    b.append(raw);
    return this;
  }

  private void escape(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&apos;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            b.append("&#x").append(Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)).append(';');
          } else if (c == '\r') {
            // A literal CR would be turned into LF by the reader's line-end handling.
            b.append("&#xD;");
          } else {
            b.append(c);
          }
        }
      }
    }
  }

  byte[] bytes() {
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }
}
