package io.s3index.queryapi.listing;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** One live object as the index holds it. {@code metadataJson} is a JSON object or null. */
record ObjectRow(String key, long size, String etag, String contentType, Instant lastModified,
    String storageClass, String versionId, String metadataJson) {

  /** Reads the columns every object query selects, in {@code Listing}'s column order. */
  static ObjectRow from(ResultSet rs) throws SQLException {
    return from(rs, 1);
  }

  /**
   * Reads the object columns starting at column {@code first} (1-based), by position: a lookup by
   * name per column and row showed up on the request path.
   */
  static ObjectRow from(ResultSet rs, int first) throws SQLException {
    return new ObjectRow(
        rs.getString(first),
        rs.getLong(first + 1),
        rs.getString(first + 2),
        rs.getString(first + 3),
        rs.getObject(first + 4, OffsetDateTime.class).toInstant(),
        rs.getString(first + 5),
        rs.getString(first + 6),
        rs.getString(first + 7));
  }
}
