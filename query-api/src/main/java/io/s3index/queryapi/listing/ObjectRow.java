package io.s3index.queryapi.listing;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** One live object as the index holds it. {@code metadataJson} is a JSON object or null. */
record ObjectRow(String key, long size, String etag, String contentType, Instant lastModified,
    String storageClass, String versionId, String metadataJson) {

  /** Reads the columns every object query selects. */
  static ObjectRow from(ResultSet rs) throws SQLException {
    return new ObjectRow(
        rs.getString("key"),
        rs.getLong("size"),
        rs.getString("etag"),
        rs.getString("content_type"),
        rs.getObject("last_modified", OffsetDateTime.class).toInstant(),
        rs.getString("storage_class"),
        rs.getString("version_id"),
        rs.getString("metadata"));
  }
}
