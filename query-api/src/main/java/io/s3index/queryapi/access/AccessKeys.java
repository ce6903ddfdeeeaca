package io.s3index.queryapi.access;

import io.s3index.shared.config.ConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The S3 endpoint's access keys: an access key id, its secret (kept as given: Signature V4 signs
 * with it) and what the key may read, in the scopes of the bearer tokens.
 *
 * <p>Syntax, one key per line (or entries separated by {@code ;}): {@code <access-key-id>
 * <secret> <scope> [<scope> ...]}, scope {@code *}, {@code bucket} or {@code bucket/prefix}. Blank
 * lines and lines starting with {@code #} are ignored.
 */
public final class AccessKeys {

  /** A configured key: its secret and the principal it authenticates. */
  public record Key(String id, String secret, Principal principal) {

    @Override
    public String toString() {
      return "Key[id=" + id + ", scopes=" + principal.describe() + "]";
    }
  }

  private final Map<String, Key> keys;

  private AccessKeys(Map<String, Key> keys) {
    this.keys = Map.copyOf(keys);
  }

  /** @throws ConfigException naming the entry that does not parse */
  public static AccessKeys parse(String text) {
    Map<String, Key> keys = new HashMap<>();
    String[] entries = text.split("[;\\n]");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      if (entry.isEmpty() || entry.startsWith("#")) {
        continue;
      }
      String[] words = entry.split("\\s+");
      if (words.length < 3) {
        throw new ConfigException("S3 access key entry " + (i + 1)
            + " must be '<access-key-id> <secret> <scope> [<scope> ...]' (scope: *, bucket or bucket/prefix)");
      }
      if (words[1].length() < 16) {
        throw new ConfigException("S3 access key entry " + (i + 1) + ": secrets must be at least 16 characters");
      }
      List<Grant> grants = new ArrayList<>();
      for (int w = 2; w < words.length; w++) {
        try {
          grants.add(Grant.parse(words[w]));
        } catch (IllegalArgumentException e) {
          throw new ConfigException("S3 access key entry " + (i + 1) + ": " + e.getMessage());
        }
      }
      Key key = new Key(words[0], words[1], new Principal("s3:" + words[0], grants));
      if (keys.put(words[0], key) != null) {
        throw new ConfigException("S3 access key entry " + (i + 1) + " repeats the access key id " + words[0]);
      }
    }
    if (keys.isEmpty()) {
      throw new ConfigException("no S3 access keys are defined");
    }
    return new AccessKeys(keys);
  }

  /** The key with this id, or null. */
  public Key find(String accessKeyId) {
    return keys.get(accessKeyId);
  }

  public int size() {
    return keys.size();
  }

  /** The principal of the open mode: every bucket, to anyone. */
  public static Principal openPrincipal() {
    return Principal.OPEN;
  }
}
