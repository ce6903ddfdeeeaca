package io.s3index.indexer.apply;

import java.util.Objects;

/**
 * A source message set aside: its coordinates, its key and value as they were, and why. The
 * error is made safe for a text column and a Kafka header (no NUL, no unpaired surrogate).
 */
public record DeadLetter(String topic, int partition, long offset, byte[] key, byte[] value,
    String error) {

  public DeadLetter {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(error, "error");
    value = value == null ? new byte[0] : value;
    error = printable(error);
  }

  private static String printable(String s) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), 2000));
    for (int i = 0; i < s.length() && out.length() < 2000; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else {
        out.append(c == '\0' || Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }

  /** The same message with one more reason. */
  public DeadLetter withError(String more) {
    return new DeadLetter(topic, partition, offset, key, value, error + "; " + more);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeadLetter d && d.topic.equals(topic) && d.partition == partition && d.offset == offset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, offset);
  }

  @Override
  public String toString() {
    return topic + "-" + partition + "@" + offset + ": " + error;
  }
}
