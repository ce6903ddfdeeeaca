package io.s3index.queryapi.listing;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * The kept sizes of folders ({@code folder_stats}, V13): live objects, their bytes and the newest
 * last_modified under a prefix ending in '/' ('' for the whole bucket), summed over the writers'
 * stripes: one primary-key range read per folder, whatever the folder holds.
 */
public final class FolderStats {

  /** A folder's sizes; {@code newest} is null when it holds no live object. */
  public record Sizes(String prefix, long objects, long bytes, Instant newest) {

    void write(JsonOut json) {
      json.beginObject()
          .name("prefix").string(prefix)
          .name("objects").number(objects)
          .name("bytes").number(bytes)
          .name("last_modified").string(newest == null ? null : IsoInstant.format(newest))
          .endObject();
    }
  }

  private static final String READ = """
      SELECT prefix, sum(objects) AS objects, sum(bytes) AS bytes, max(newest) AS newest
      FROM folder_stats
      WHERE bucket = :bucket AND prefix = ANY(CAST(:prefixes AS text[]))
      GROUP BY prefix""";

  private FolderStats() {}

  /** The plan of the read (for tests). */
  static String explain(Handle handle, String bucket, List<String> prefixes) {
    return String.join("\n", handle.createQuery("EXPLAIN " + READ)
        .bind("bucket", bucket)
        .bindArray("prefixes", String.class, prefixes)
        .mapTo(String.class).list());
  }

  /** The sizes of each of {@code prefixes} (each '' or ending in '/'), in their order. */
  public static List<Sizes> of(Handle handle, String bucket, List<String> prefixes) {
    if (prefixes.isEmpty()) {
      return List.of();
    }
    Map<String, Sizes> found = new HashMap<>();
    handle.createQuery(READ)
        .bind("bucket", bucket)
        .bindArray("prefixes", String.class, prefixes)
        .map((rs, ctx) -> {
          OffsetDateTime newest = rs.getObject("newest", OffsetDateTime.class);
          return new Sizes(rs.getString("prefix"), rs.getLong("objects"), rs.getLong("bytes"),
              newest == null ? null : newest.toInstant());
        })
        .forEach(s -> found.put(s.prefix(), s));
    return prefixes.stream()
        .map(p -> {
          Sizes s = found.get(p);
          // An emptied folder keeps rows that sum to nothing.
          return s == null || s.objects() == 0 ? new Sizes(p, 0, 0, null) : s;
        })
        .toList();
  }
}
