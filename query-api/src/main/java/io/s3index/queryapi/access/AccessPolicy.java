package io.s3index.queryapi.access;

import io.s3index.shared.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
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
    String[] entries = text.split("[;\\n]");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      if (entry.isEmpty() || entry.startsWith("#")) {
        continue;
      }
      String[] words = entry.split("\\s+");
      if (words.length < 2) {
        throw new ConfigException("access token entry " + (i + 1)
            + " must be '<token> <scope> [<scope> ...]' (scope: *, bucket or bucket/prefix)");
      }
      if (words[0].length() < 16) {
        throw new ConfigException("access token entry " + (i + 1) + ": tokens must be at least 16 characters");
      }
      List<Grant> list = new ArrayList<>();
      for (int w = 1; w < words.length; w++) {
        try {
          list.add(Grant.parse(words[w]));
        } catch (IllegalArgumentException e) {
          throw new ConfigException("access token entry " + (i + 1) + ": " + e.getMessage());
        }
      }
      if (grants.put(digest(words[0]), List.copyOf(list)) != null) {
        throw new ConfigException("access token entry " + (i + 1) + " repeats a token");
      }
    }
    if (grants.isEmpty()) {
      throw new ConfigException("no access tokens are defined");
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
