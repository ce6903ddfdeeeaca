package io.s3index.queryapi.access;

import io.s3index.shared.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared syntax of bearer tokens and S3 access keys: one entry per line (or entries
 * separated by {@code ;}), each its credential words then one or more scopes ({@code *}, {@code
 * bucket} or {@code bucket/prefix}); blank lines and lines starting with {@code #} ignored.
 */
final class CredentialEntries {

  /** One entry: its 1-based number, its credential words and its grants. */
  record Entry(int number, List<String> credentials, List<Grant> grants) {}

  private CredentialEntries() {}

  /**
   * @param what the entries' name in messages ("access token", "S3 access key")
   * @param syntax the credential words as the message shows them ("<token>")
   * @param credentialWords how many words precede the scopes
   * @throws ConfigException naming the entry that does not parse
   */
  static List<Entry> parse(String text, String what, String syntax, int credentialWords) {
    List<Entry> parsed = new ArrayList<>();
    String[] entries = text.split("[;\\n]");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      if (entry.isEmpty() || entry.startsWith("#")) {
        continue;
      }
      String[] words = entry.split("\\s+");
      if (words.length <= credentialWords) {
        throw new ConfigException(what + " entry " + (i + 1) + " must be '" + syntax
            + " <scope> [<scope> ...]' (scope: *, bucket or bucket/prefix)");
      }
      List<Grant> grants = new ArrayList<>();
      for (int w = credentialWords; w < words.length; w++) {
        try {
          grants.add(Grant.parse(words[w]));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(what + " entry " + (i + 1) + ": " + e.getMessage());
        }
      }
      parsed.add(new Entry(i + 1, List.of(words).subList(0, credentialWords), List.copyOf(grants)));
    }
    if (parsed.isEmpty()) {
      throw new ConfigException("no " + what + "s are defined");
    }
    return parsed;
  }
}
