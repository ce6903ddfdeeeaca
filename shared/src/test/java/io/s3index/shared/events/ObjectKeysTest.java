package io.s3index.shared.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

  @Test
  void decodesFormUrlEncoding() {
    assertThat(ObjectKeys.decodeEventKey("photos/2025/a+b.jpg")).isEqualTo("photos/2025/a b.jpg");
    assertThat(ObjectKeys.decodeEventKey("a%2Bb")).isEqualTo("a+b");
    assertThat(ObjectKeys.decodeEventKey("100%25")).isEqualTo("100%");
    assertThat(ObjectKeys.decodeEventKey("photos%2F2025%2Fx")).isEqualTo("photos/2025/x");
    assertThat(ObjectKeys.decodeEventKey("r%C3%A9sum%C3%A9")).isEqualTo("résumé");
    assertThat(ObjectKeys.decodeEventKey("%F0%9F%98%80")).isEqualTo("😀");
    assertThat(ObjectKeys.decodeEventKey("raw-ünicode")).isEqualTo("raw-ünicode");
  }

  @Test
  void rejectsBrokenKeys() {
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("a%2")).isInstanceOf(InvalidEventException.class);
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("a%zz")).isInstanceOf(InvalidEventException.class);
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("%C3")).hasMessageContaining("UTF-8");
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("a%00b")).hasMessageContaining("NUL");
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("")).hasMessageContaining("empty");
    assertThat(ObjectKeys.decodeEventKey("x".repeat(1024))).hasSize(1024);
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("x".repeat(1025))).hasMessageContaining("1025 bytes");
    assertThatThrownBy(() -> ObjectKeys.decodeEventKey("%C3%A9".repeat(513))).hasMessageContaining("1026 bytes");
  }

  @Test
  void prefixUpperBoundIsTheEndOfThePrefixRange() {
    assertThat(ObjectKeys.prefixUpperBound("photos/")).isEqualTo("photos0");
    assertThat(ObjectKeys.prefixUpperBound("")).isNull();
    assertThat(ObjectKeys.prefixUpperBound("a\uD7FF")).isEqualTo("a\uE000");
    assertThat(ObjectKeys.prefixUpperBound("a" + new String(Character.toChars(0x10FFFF)))).isEqualTo("b");
  }

  @Test
  void prefixRangeSelectsExactlyTheKeysWithThePrefixInByteOrder() {
    Random random = new Random(11);
    String alphabet = "a/é\u00FF\uD7FF\uE000z" + new String(Character.toChars(0x10FFFF));
    int[] cps = alphabet.codePoints().toArray();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      StringBuilder s = new StringBuilder();
      int len = 1 + random.nextInt(4);
      for (int j = 0; j < len; j++) {
        s.appendCodePoint(cps[random.nextInt(cps.length)]);
      }
      keys.add(s.toString());
    }
    for (String prefix : List.of("a", "é", "\uD7FF", new String(Character.toChars(0x10FFFF)), "a/")) {
      String upper = ObjectKeys.prefixUpperBound(prefix);
      for (String key : keys) {
        boolean inRange = utf8Compare(key, prefix) >= 0 && (upper == null || utf8Compare(key, upper) < 0);
        assertThat(inRange).as("%s in range of %s", key, prefix).isEqualTo(key.startsWith(prefix));
      }
    }
  }

  private static int utf8Compare(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.compareUnsigned(x, y);
  }
}
