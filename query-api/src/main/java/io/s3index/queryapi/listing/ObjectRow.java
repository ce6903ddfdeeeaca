package io.s3index.queryapi.listing;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * One live object as the index holds it. Its text columns stay the UTF-8 bytes PostgreSQL sent:
 * a page writes them into JSON as they are, and decodes only the key of its first and last row,
 * for the cursors.
 */
public final class ObjectRow {

  private final byte[] key;
  private final long size;
  private final byte[] etag;
  private final byte[] contentType;
  private final Instant lastModified;
  private final byte[] storageClass;
  private final byte[] versionId;
  /** A JSON object, or null. */
  private final byte[] metadata;
  /** A JSON object, or null. */
  private final byte[] tags;

  private ObjectRow(byte[] key, long size, byte[] etag, byte[] contentType, Instant lastModified,
      byte[] storageClass, byte[] versionId, byte[] metadata, byte[] tags) {
    this.key = key;
    this.size = size;
    this.etag = etag;
    this.contentType = contentType;
    this.lastModified = lastModified;
    this.storageClass = storageClass;
    this.versionId = versionId;
    this.metadata = metadata;
    this.tags = tags;
  }

  /** Reads the columns every object query selects, in {@code Listing}'s column order. */
  public static ObjectRow from(ResultSet rs) throws SQLException {
    return from(rs, 1);
  }

  /**
   * Reads the object columns starting at column {@code first} (1-based), by position: a lookup by
   * name per column and row showed up on the request path. {@code getBytes} on a text column is
   * the driver's raw UTF-8 (the driver always sets {@code client_encoding} to UTF8).
   */
  static ObjectRow from(ResultSet rs, int first) throws SQLException {
    return new ObjectRow(
        rs.getBytes(first),
        rs.getLong(first + 1),
        rs.getBytes(first + 2),
        rs.getBytes(first + 3),
        rs.getObject(first + 4, OffsetDateTime.class).toInstant(),
        rs.getBytes(first + 5),
        rs.getBytes(first + 6),
        rs.getBytes(first + 7),
        rs.getBytes(first + 8));
  }

  public String key() {
    return new String(key, StandardCharsets.UTF_8);
  }

  public long size() {
    return size;
  }

  public Instant lastModified() {
    return lastModified;
  }

  /** The ETag without quotes, or null. */
  public String etag() {
    return text(etag);
  }

  /** The content type, or null until enrichment found it. */
  public String contentType() {
    return text(contentType);
  }

  /** The storage class, or null when unknown. */
  public String storageClass() {
    return text(storageClass);
  }

  /** The version id, or null for an unversioned object. */
  public String versionId() {
    return text(versionId);
  }

  /** User metadata as a JSON object of lower-cased names to values, or null. */
  public String metadataJson() {
    return text(metadata);
  }

  private static String text(byte[] utf8) {
    return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
  }

  /** The object as the API shows it. */
  void write(JsonOut json) {
    json.beginObject()
        .name("key").string(key)
        .name("size").number(size)
        .name("etag").string(etag)
        .name("content_type").string(contentType)
        .name("last_modified").instant(lastModified)
        .name("storage_class").string(storageClass)
        .name("version_id").string(versionId)
        .name("metadata").rawValue(metadata)
        .name("tags").rawValue(tags)
        .endObject();
  }
}
