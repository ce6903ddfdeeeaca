package io.s3index.shared.cursor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CursorCodecTest {

  private static final byte[] SECRET = "0123456789abcdef0123".getBytes(StandardCharsets.UTF_8);
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private final String scope = CursorCodec.scopeOf("bucket|key|asc");
  private final CursorCodec codec = new CursorCodec(SECRET, Duration.ofHours(24),
      Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void roundTripsBoundaries() {
    String token = codec.encode(Cursor.Direction.PREVIOUS, "2025-10-15T10:00:00.123456Z",
        "dir/a b+é", scope);
    assertThat(token).matches("[A-Za-z0-9_-]+");
    Cursor cursor = codec.decode(token, scope);
    assertThat(cursor.direction()).isEqualTo(Cursor.Direction.PREVIOUS);
    assertThat(cursor.sortValue()).isEqualTo("2025-10-15T10:00:00.123456Z");
    assertThat(cursor.key()).isEqualTo("dir/a b+é");
  }

  @Test
  void rejectsTamperedAndTruncatedTokens() {
    String token = codec.encode(Cursor.Direction.NEXT, null, "k", scope);
    byte[] raw = Base64.getUrlDecoder().decode(token);
    Random random = new Random(3);
    for (int i = 0; i < 500; i++) {
      byte[] copy = raw.clone();
      copy[random.nextInt(copy.length)] ^= (byte) (1 + random.nextInt(255));
      String tampered = Base64.getUrlEncoder().withoutPadding().encodeToString(copy);
      assertThatThrownBy(() -> codec.decode(tampered, scope)).isInstanceOf(InvalidCursorException.class);
    }
    for (int cut = 0; cut < token.length(); cut++) {
      String truncated = token.substring(0, cut);
      assertThatThrownBy(() -> codec.decode(truncated, scope)).isInstanceOf(InvalidCursorException.class);
    }
    assertThatThrownBy(() -> codec.decode("%%%", scope)).isInstanceOf(InvalidCursorException.class);
  }

  @Test
  void rejectsForeignScopesAndOtherSecrets() {
    String token = codec.encode(Cursor.Direction.NEXT, null, "k", scope);
    assertThatThrownBy(() -> codec.decode(token, CursorCodec.scopeOf("other|key|asc")))
        .isInstanceOf(InvalidCursorException.class).hasMessageContaining("another");
    CursorCodec other = new CursorCodec("another secret, 16+ bytes".getBytes(StandardCharsets.UTF_8),
        Duration.ofHours(24), Clock.fixed(NOW, ZoneOffset.UTC));
    assertThatThrownBy(() -> other.decode(token, scope)).isInstanceOf(InvalidCursorException.class);
  }

  @Test
  void expiresAfterTheTimeToLiveUnlessZero() {
    String token = codec.encode(Cursor.Direction.NEXT, null, "k", scope);
    CursorCodec later = new CursorCodec(SECRET, Duration.ofHours(24),
        Clock.fixed(NOW.plus(Duration.ofHours(25)), ZoneOffset.UTC));
    assertThatThrownBy(() -> later.decode(token, scope)).hasMessageContaining("expired");
    CursorCodec forever = new CursorCodec(SECRET, Duration.ZERO,
        Clock.fixed(NOW.plus(Duration.ofDays(3650)), ZoneOffset.UTC));
    assertThat(forever.decode(token, scope).key()).isEqualTo("k");
  }

  @Test
  void carriesTheBoundaryKindAndTheSnapshot() {
    String token = codec.encode(Cursor.Direction.NEXT, Cursor.Boundary.COMMON_PREFIX, null,
        "photos/", scope, "100:105:101,103");
    Cursor cursor = codec.decode(token, scope);
    assertThat(cursor.boundary()).isEqualTo(Cursor.Boundary.COMMON_PREFIX);
    assertThat(cursor.sortValue()).isNull();
    assertThat(cursor.snapshot()).isEqualTo("100:105:101,103");
    assertThat(codec.decode(codec.encode(Cursor.Direction.NEXT, null, "p", scope), scope).boundary())
        .isEqualTo(Cursor.Boundary.ROW);
  }

  /** Tokens of the first payload version, handed out before the boundary kind existed, still work. */
  @Test
  void readsFirstVersionTokens() throws Exception {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(SECRET, "HmacSHA256"));
    for (String sortValue : new String[] {"\"p\"", "null", "\"42\""}) {
      byte[] body = ("[1,\"n\"," + sortValue + ",\"photos/\",\"" + scope + "\","
          + NOW.getEpochSecond() + ",null]").getBytes(StandardCharsets.UTF_8);
      byte[] token = java.util.Arrays.copyOf(body, body.length + 16);
      System.arraycopy(mac.doFinal(body), 0, token, body.length, 16);
      Cursor cursor = codec.decode(Base64.getUrlEncoder().withoutPadding().encodeToString(token), scope);
      assertThat(cursor.key()).isEqualTo("photos/");
      assertThat(cursor.boundary()).isEqualTo(sortValue.equals("\"p\"")
          ? Cursor.Boundary.COMMON_PREFIX : Cursor.Boundary.ROW);
      assertThat(cursor.sortValue()).isEqualTo(sortValue.equals("\"42\"") ? "42" : null);
    }
  }
}
