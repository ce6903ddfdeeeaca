package io.s3index.queryapi.access;

import io.s3index.shared.config.ConfigException;
import java.util.HashMap;
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
    for (CredentialEntries.Entry e : CredentialEntries.parse(text, "S3 access key", "<access-key-id> <secret>", 2)) {
      String id = e.credentials().get(0);
      String secret = e.credentials().get(1);
      if (secret.length() < 16) {
        throw new ConfigException("S3 access key entry " + e.number() + ": secrets must be at least 16 characters");
      }
      if (keys.put(id, new Key(id, secret, new Principal("s3:" + id, e.grants()))) != null) {
        throw new ConfigException("S3 access key entry " + e.number() + " repeats the access key id " + id);
      }
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
