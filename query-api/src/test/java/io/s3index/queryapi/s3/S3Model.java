package io.s3index.queryapi.s3;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * S3's documented listing, as a reference: keys in UTF-8 byte order; under the prefix; a key with
 * the delimiter after the prefix rolled up into the common prefix ending at that delimiter; every
 * entry, key or common prefix, after start-after; pages of max-keys entries, keys and common
 * prefixes counted together.
 */
final class S3Model {

  /** A key ("K name") or a common prefix ("P name"), as the tests compare them. */
  static final Comparator<String> UTF8 = (a, b) -> Arrays.compareUnsigned(
      a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private S3Model() {}

  static List<String> entries(Collection<String> keys, String prefix, String delimiter, String startAfter) {
    String p = prefix == null ? "" : prefix;
    boolean delimited = delimiter != null && !delimiter.isEmpty();
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(UTF8);
    LinkedHashSet<String> entries = new LinkedHashSet<>();
    for (String key : sorted) {
      if (!key.startsWith(p)) {
        continue;
      }
      int at = delimited ? key.indexOf(delimiter, p.length()) : -1;
      String entry = at < 0 ? key : key.substring(0, at + delimiter.length());
      if (startAfter == null || startAfter.isEmpty() || UTF8.compare(entry, startAfter) > 0) {
        entries.add((at < 0 ? "K " : "P ") + entry);
      }
    }
    return new ArrayList<>(entries);
  }

  /** The entries cut into pages of {@code maxKeys}; one empty page when there are none. */
  static List<List<String>> pages(List<String> entries, int maxKeys) {
    List<List<String>> pages = new ArrayList<>();
    for (int i = 0; i < entries.size(); i += maxKeys) {
      pages.add(entries.subList(i, Math.min(entries.size(), i + maxKeys)));
    }
    if (pages.isEmpty()) {
      pages.add(List.of());
    }
    return pages;
  }

  /** A page's entries as S3 returns them (keys, then common prefixes), merged in byte order. */
  static List<String> merged(List<String> keys, List<String> commonPrefixes) {
    List<String> all = new ArrayList<>();
    keys.forEach(k -> all.add("K " + k));
    commonPrefixes.forEach(p -> all.add("P " + p));
    all.sort((a, b) -> UTF8.compare(a.substring(2), b.substring(2)));
    return all;
  }
}
