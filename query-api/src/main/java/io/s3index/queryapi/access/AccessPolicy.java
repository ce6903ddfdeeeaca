package io.s3index.queryapi.access;

import io.s3index.shared.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Which bearer tokens exist and what each may read. Tokens are held only as SHA-256 digests.
 *
 * <p>Syntax, one token per line (or entries separated by {@code ;}): {@code <token> <scope>
 * [<scope> ...]}, where a scope is {@code *} (admin: every bucket), {@code bucket}, or {@code
 * bucket/prefix}. Blank lines and lines starting with {@code #} are ignored. Tokens must be at
 * least 16 characters.
 */
public final class AccessPolicy {

  private final Map<String, List<Grant>> grantsByDigest;
  private final boolean open;

  private AccessPolicy(Map<String, List<Grant>> grantsByDigest, boolean open) {
    this.grantsByDigest = Map.copyOf(grantsByDigest);
    this.open = open;
  }

  /** No tokens: every request may read everything (embedded mode and tests). */
  public static AccessPolicy open() {
    return new AccessPolicy(Map.of(), true);
  }

  /** @throws ConfigException naming the line that does not parse */
  public static AccessPolicy parse(String text) {
    Map<String, List<Grant>> grants = new HashMap<>();
    for (CredentialEntries.Entry e : CredentialEntries.parse(text, "access token", "<token>", 1)) {
      String token = e.credentials().get(0);
      if (token.length() < 16) {
        throw new ConfigException("access token entry " + e.number() + ": tokens must be at least 16 characters");
      }
      if (grants.put(digest(token), e.grants()) != null) {
        throw new ConfigException("access token entry " + e.number() + " repeats a token");
      }
    }
    return new AccessPolicy(grants, false);
  }

  public boolean isOpen() {
    return open;
  }

  public int tokenCount() {
    return grantsByDigest.size();
  }

  /** The caller a bearer token identifies, or null if the token is unknown. */
  Principal authenticate(String token) {
    if (open) {
      return Principal.OPEN;
    }
    String digest = digest(token);
    List<Grant> grants = grantsByDigest.get(digest);
    return grants == null ? null : new Principal(digest.substring(0, 12), grants);
  }

  static String digest(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
