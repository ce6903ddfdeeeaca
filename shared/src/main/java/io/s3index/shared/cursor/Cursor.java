package io.s3index.shared.cursor;

import java.util.Objects;

/**
 * The boundary of a page, as carried inside a cursor token.
 *
 * @param direction whether the token asks for the rows after the boundary or before it
 * @param boundary whether the boundary is an object row or a common prefix of a folder listing
 * @param sortValue the boundary row's sort value at full precision, as text (null for key order)
 * @param key the boundary row's key, the unique tie-breaker
 * @param scope fingerprint of the bucket, filters and sort the cursor was made for
 * @param issuedAtEpochSecond when the token was made, for expiry
 * @param snapshot the database snapshot the walk's first page was read in (opaque text), or null
 */
public record Cursor(Direction direction, Boundary boundary, String sortValue, String key, String scope,
    long issuedAtEpochSecond, String snapshot) {

  /** Which side of the boundary the next page lies on. */
  public enum Direction {
    NEXT,
    PREVIOUS
  }

  /** What the boundary is: a row (its sort value and key) or a folder listing's common prefix. */
  public enum Boundary {
    ROW,
    /** {@code key} is a common prefix: every key under it lies on the boundary's side. */
    COMMON_PREFIX
  }

  public Cursor {
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(boundary, "boundary");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(scope, "scope");
  }
}
