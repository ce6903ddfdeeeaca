package io.s3index.shared.cursor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encodes page boundaries as opaque, URL-safe, signed tokens, and checks them on the way back.
 *
 * <p>A token is {@code base64url(payload || HMAC-SHA256(secret, payload)[0..16])}; the payload is
 * a small JSON array. A token is accepted only if its tag verifies, its scope equals the scope of
 * the request presenting it (so a cursor made for one bucket, filter set or sort cannot be used
 * for another), and it is younger than the time to live ({@link Duration#ZERO} means never
 * expires).
 *
 * <p>Thread-safe: each thread keeps its own initialized {@link Mac} (making one per call cost a
 * provider lookup and key setup on every page).
 */
public final class CursorCodec {

  private static final int TAG_BYTES = 16;
  private static final int MAX_TOKEN_CHARS = 8192;
  /** Version 2 added the boundary kind; version 1 marked a common prefix with the sort value "p". */
  private static final int VERSION = 2;
  private static final int LEGACY_VERSION = 1;

  private final SecretKeySpec key;
  private final Duration timeToLive;
  private final Clock clock;
  private final ObjectMapper mapper = new ObjectMapper();
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

  /**
   * @param secret at least 16 bytes of server secret; every API instance must share it
   * @param timeToLive how long a token stays valid; zero for ever
   */
  public CursorCodec(byte[] secret, Duration timeToLive, Clock clock) {
    if (secret.length < 16) {
      throw new IllegalArgumentException("the cursor secret must be at least 16 bytes");
    }
    if (timeToLive.isNegative()) {
      throw new IllegalArgumentException("the cursor time to live must not be negative");
    }
    this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    this.timeToLive = timeToLive;
    this.clock = clock;
  }

  /** A fingerprint of a canonical description of a query, to use as a cursor's scope. */
  public static String scopeOf(String canonicalQuery) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(canonicalQuery.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 12));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Makes a token for a row boundary, stamped with the current time. */
  public String encode(Cursor.Direction direction, String sortValue, String key, String scope) {
    return encode(direction, Cursor.Boundary.ROW, sortValue, key, scope, null);
  }

  /** Makes a token for a boundary of a walk that reads as of {@code snapshot} (may be null). */
  public String encode(Cursor.Direction direction, Cursor.Boundary boundary, String sortValue,
      String key, String scope, String snapshot) {
    ArrayNode payload = mapper.createArrayNode()
        .add(VERSION)
        .add(direction == Cursor.Direction.NEXT ? "n" : "p")
        .add(boundary == Cursor.Boundary.COMMON_PREFIX ? "c" : "r")
        .add(sortValue)
        .add(key)
        .add(scope)
        .add(clock.instant().getEpochSecond())
        .add(snapshot);
    byte[] body;
    try {
      body = mapper.writeValueAsBytes(payload);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize a cursor", e);
    }
    byte[] token = Arrays.copyOf(body, body.length + TAG_BYTES);
    System.arraycopy(tag(body), 0, token, body.length, TAG_BYTES);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
  }

  /**
   * Reads a token presented with a request whose scope is {@code expectedScope}.
   *
   * @throws InvalidCursorException if the token is malformed, tampered with, foreign or expired
   */
  public Cursor decode(String token, String expectedScope) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw new InvalidCursorException("the cursor is empty or too long");
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw new InvalidCursorException("the cursor is not a token this API issued");
    }
    if (raw.length <= TAG_BYTES) {
      throw new InvalidCursorException("the cursor is truncated");
    }
    byte[] body = Arrays.copyOf(raw, raw.length - TAG_BYTES);
    byte[] presented = Arrays.copyOfRange(raw, raw.length - TAG_BYTES, raw.length);
    if (!MessageDigest.isEqual(presented, Arrays.copyOf(tag(body), TAG_BYTES))) {
      throw new InvalidCursorException("the cursor has been altered or was not issued by this API");
    }
    Cursor cursor = parse(body);
    if (!cursor.scope().equals(expectedScope)) {
      throw new InvalidCursorException(
          "the cursor was made for another bucket, filter or sort; start again without it");
    }
    if (!timeToLive.isZero()) {
      long age = clock.instant().getEpochSecond() - cursor.issuedAtEpochSecond();
      if (age > timeToLive.getSeconds()) {
        throw new InvalidCursorException("the cursor has expired; start again without it");
      }
    }
    return cursor;
  }

  private Cursor parse(byte[] body) {
    JsonNode node;
    try {
      node = mapper.readTree(body);
    } catch (IOException e) {
      // Only reachable with a valid tag, i.e. a token from an incompatible build.
      throw new InvalidCursorException("the cursor cannot be read");
    }
    if (node == null || !node.isArray()) {
      throw new InvalidCursorException("the cursor is from an incompatible version");
    }
    int version = node.get(0).asInt();
    if (version == LEGACY_VERSION && node.size() == 7) {
      // [1, direction, sortValue, key, scope, issuedAt, snapshot]: "p" as the sort value of a
      // key-order walk marked a common prefix (no other sort has "p" as a value).
      boolean prefix = "p".equals(node.get(2).asText(null));
      return cursor(node, prefix ? Cursor.Boundary.COMMON_PREFIX : Cursor.Boundary.ROW,
          prefix ? null : text(node.get(2)), 3);
    }
    if (version != VERSION || node.size() != 8) {
      throw new InvalidCursorException("the cursor is from an incompatible version");
    }
    Cursor.Boundary boundary = switch (node.get(2).asText("")) {
      case "r" -> Cursor.Boundary.ROW;
      case "c" -> Cursor.Boundary.COMMON_PREFIX;
      default -> throw new InvalidCursorException("the cursor is from an incompatible version");
    };
    return cursor(node, boundary, text(node.get(3)), 4);
  }

  /** The fields from the key on, which start at {@code keyAt}: key, scope, issued at, snapshot. */
  private static Cursor cursor(JsonNode node, Cursor.Boundary boundary, String sortValue, int keyAt) {
    if (!node.get(keyAt).isTextual() || !node.get(keyAt + 1).isTextual()) {
      throw new InvalidCursorException("the cursor is from an incompatible version");
    }
    Cursor.Direction direction = "p".equals(node.get(1).asText())
        ? Cursor.Direction.PREVIOUS : Cursor.Direction.NEXT;
    return new Cursor(direction, boundary, sortValue, node.get(keyAt).asText(),
        node.get(keyAt + 1).asText(), node.get(keyAt + 2).asLong(), text(node.get(keyAt + 3)));
  }

  private static String text(JsonNode node) {
    return node.isNull() ? null : node.asText();
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private byte[] tag(byte[] body) {
    // doFinal resets the Mac for its next use with the same key.
    return macs.get().doFinal(body);
  }
}
