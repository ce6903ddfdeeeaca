package io.s3index.ops.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;

/** Writes what a bucket listing shows into the index (backfill, reconcile --fix). */
final class ListedObjects {

  /** One listed object; content type and metadata only when HeadObject was asked. */
  record Listed(String bucket, String key, long size, String etag, Instant lastModified,
      String storageClass, String contentType, Map<String, String> metadata) {}

  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String UPSERT = SQL.locate(ListedObjects.class, "upsert-listed");
  private static final String REMOVE = SQL.locate(ListedObjects.class, "remove-unlisted");

  private final Jdbi jdbi;
  private final ObjectMapper mapper = new ObjectMapper();

  ListedObjects(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** Records the bucket as known (listed, so it exists, even when it holds nothing). */
  void register(String bucket) {
    jdbi.useHandle(h -> h.createUpdate("INSERT INTO buckets (name) VALUES (:name) ON CONFLICT (name) DO NOTHING")
        .bind("name", bucket)
        .execute());
  }

  /** Upserts listed objects; returns how many rows changed. */
  int upsert(List<Listed> rows, boolean overwrite, Instant since) {
    if (rows.isEmpty()) {
      return 0;
    }
    return jdbi.withHandle(h -> h.createUpdate(UPSERT)
        .bindArray("buckets", String.class, rows.stream().map(Listed::bucket).toList())
        .bindArray("keys", String.class, rows.stream().map(Listed::key).toList())
        .bindArray("sizes", Long.class, rows.stream().map(Listed::size).toList())
        .bindArray("etags", String.class, rows.stream().map(Listed::etag).toList())
        .bindArray("contentTypes", String.class, rows.stream().map(Listed::contentType).toList())
        .bindArray("lastModified", String.class, rows.stream().map(r -> r.lastModified().toString()).toList())
        .bindArray("storageClasses", String.class, rows.stream().map(Listed::storageClass).toList())
        .bindArray("metadata", String.class, rows.stream().map(r -> json(r.metadata())).toList())
        .bind("overwrite", overwrite)
        .bind("since", OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC))
        .execute());
  }

  /** Tombstones index rows whose objects are gone; returns how many. */
  int remove(String bucket, List<String> keys, Instant since) {
    if (keys.isEmpty()) {
      return 0;
    }
    return jdbi.withHandle(h -> h.createUpdate(REMOVE)
        .bindArray("buckets", String.class, keys.stream().map(k -> bucket).toList())
        .bindArray("keys", String.class, keys)
        .bind("since", OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC))
        .execute());
  }

  private String json(Map<String, String> metadata) {
    try {
      return metadata == null ? null : mapper.writeValueAsString(metadata);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
