package io.s3index.queryapi.listing;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The orders a listing can be sorted by. Each has a partial index {@code (bucket, column, key)}
 * restricted to live rows; the key is the unique tie-breaker. The SQL fragments are made once,
 * from constants.
 */
enum SortField {
  KEY("key", null),
  LAST_MODIFIED("last_modified", "last_modified"),
  SIZE("size", "size");

  private final String parameterValue;
  private final String column;
  private final String afterAscending;
  private final String afterDescending;
  private final String orderAscending;
  private final String orderDescending;

  SortField(String parameterValue, String column) {
    this.parameterValue = parameterValue;
    this.column = column;
    String boundary = column == null ? "o.key %s :afterKey" : "(o." + column + ", o.key) %s (:afterValue, :afterKey)";
    this.afterAscending = "AND " + boundary.formatted(">");
    this.afterDescending = "AND " + boundary.formatted("<");
    String order = column == null ? "o.key %s" : "o." + column + " %1$s, o.key %1$s";
    this.orderAscending = order.formatted("ASC");
    this.orderDescending = order.formatted("DESC");
  }

  /** The condition on rows past a cursor's boundary, in scan order (binds afterValue, afterKey). */
  String after(boolean ascending) {
    return ascending ? afterAscending : afterDescending;
  }

  /** The ORDER BY list of a scan. */
  String order(boolean ascending) {
    return ascending ? orderAscending : orderDescending;
  }

  String parameterValue() {
    return parameterValue;
  }

  /** The sort column before the key, or null when the key alone is the order. */
  String column() {
    return column;
  }

  static SortField fromParameter(String value) {
    for (SortField f : values()) {
      if (f.parameterValue.equals(value)) {
        return f;
      }
    }
    return null;
  }

  /** The row's sort value as cursor text, at full precision; null for key order. */
  String cursorValue(ObjectRow row) {
    return switch (this) {
      case KEY -> null;
      case LAST_MODIFIED -> IsoInstant.format(row.lastModified());
      case SIZE -> Long.toString(row.size());
    };
  }

  /** Cursor text back to the value bound in SQL. @throws IllegalArgumentException if malformed */
  Object sqlValue(String cursorValue) {
    return switch (this) {
      case KEY -> null;
      case LAST_MODIFIED -> OffsetDateTime.ofInstant(Instant.parse(cursorValue), ZoneOffset.UTC);
      case SIZE -> Long.parseLong(cursorValue);
    };
  }
}
