package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.cursor.InvalidCursorException;
import java.util.List;
import java.util.Optional;
import io.s3index.queryapi.reads.Reads;
import org.jdbi.v3.core.Jdbi;

/**
 * Key-ordered pages, and single objects, for other front ends than the JSON API (the S3
 * endpoint): the same
 * statements, walk snapshots and signed cursors as {@code GET /v1/buckets/{b}/objects}, so a page
 * costs the same single index range scan, with the request S3's listing parameters make.
 * Thread-safe.
 */
public final class KeyListing {

  /** The most entries of one page, as S3's {@code max-keys}. */
  public static final int MAX_KEYS = ListingRequest.MAX_PAGE_SIZE;

  private final Reads reads;
  private final Listing listing;
  private final CursorCodec cursors;

  public KeyListing(Jdbi jdbi, CursorCodec cursors) {
    this(Reads.primaryOnly(jdbi), cursors);
  }

  /** @param reads where pages and objects are read: the primary, or replicas that have caught up */
  public KeyListing(Reads reads, CursorCodec cursors) {
    this.reads = reads;
    this.listing = new Listing(reads, cursors, java.time.Duration.ofSeconds(1));
    this.cursors = cursors;
  }

  /**
   * What to list.
   *
   * @param prefix literal key prefix, or null
   * @param delimiter roll keys up into common prefixes at this string after the prefix, or null
   * @param startAfter every entry sorts after this key, or null
   * @param maxKeys entries per page, 1 to {@link #MAX_KEYS}
   * @param token the previous page's {@link Page#nextToken()}, or null for a first page
   */
  public record Request(String bucket, String prefix, String delimiter, String startAfter,
      int maxKeys, String token) {

    public Request {
      if (maxKeys < 1 || maxKeys > MAX_KEYS) {
        throw new IllegalArgumentException("maxKeys must be from 1 to " + MAX_KEYS + ": " + maxKeys);
      }
    }
  }

  /**
   * One page: its objects and its common prefixes, each in key order, and the token of the next
   * page (null when none follows).
   */
  public record Page(List<ObjectRow> objects, List<String> commonPrefixes, String nextToken) {}

  /** Why a prefix, delimiter or start-after value cannot be listed, or null if it can. */
  public static String problem(String value) {
    return ListingRequest.keyProblem(value);
  }

  /**
   * Reads a page.
   *
   * @throws InvalidCursorException if the token is not one this listing made for this request
   */
  public Page page(Request r) {
    ListingRequest request = request(r);
    Listing.Page page = listing.page(request);
    return new Page(page.rows(), page.commonPrefixes() == null ? List.of() : page.commonPrefixes(),
        page.nextCursor());
  }

  /** A live object, or empty. */
  public Optional<ObjectRow> object(String bucket, String key) {
    return reads.any(h -> find(h, bucket, key, null, null));
  }

  /** A live object, at the given ETag or version id when not null, or empty: one primary-key probe. */
  static Optional<ObjectRow> find(org.jdbi.v3.core.Handle handle, String bucket, String key, String etag,
      String versionId) {
    return handle.createQuery("""
            SELECT key, size, etag, content_type, last_modified, storage_class, version_id,
                   metadata::text AS metadata, tags::text AS tags
            FROM objects
            WHERE bucket = :bucket AND key = :key AND NOT deleted
              AND (CAST(:etag AS text) IS NULL OR etag = :etag)
              AND (CAST(:versionId AS text) IS NULL OR version_id = :versionId)""")
        .bind("bucket", bucket)
        .bind("key", key)
        .bind("etag", etag)
        .bind("versionId", versionId)
        .map((rs, c) -> ObjectRow.from(rs))
        .findOne();
  }

  /** The plan of the page query a request runs (for plan tests). */
  public String explain(Request r) {
    return listing.explain(request(r));
  }

  private ListingRequest request(Request r) {
    String prefix = r.prefix() == null || r.prefix().isEmpty() ? null : r.prefix();
    String startAfter = r.startAfter() == null || r.startAfter().isEmpty() ? null : r.startAfter();
    String delimiter = r.delimiter() == null || r.delimiter().isEmpty() ? null : r.delimiter();
    for (String value : new String[] {prefix, startAfter, delimiter}) {
      if (value != null && problem(value) != null) {
        throw new IllegalArgumentException(problem(value));
      }
    }
    if (delimiter != null && delimiter.codePointBefore(delimiter.length()) == Character.MAX_CODE_POINT) {
      throw new IllegalArgumentException("a delimiter must not end with U+10FFFF");
    }
    String scope = CursorCodec.scopeOf(String.join("\u0000", "s3", r.bucket(),
        prefix == null ? "" : prefix, delimiter == null ? "" : delimiter,
        startAfter == null ? "" : startAfter));
    Cursor cursor = null;
    if (r.token() != null) {
      cursor = cursors.decode(r.token(), scope);
      if (cursor.direction() != Cursor.Direction.NEXT || cursor.sortValue() != null
          || (cursor.boundary() == Cursor.Boundary.COMMON_PREFIX && delimiter == null)) {
        throw new InvalidCursorException("the token does not fit this listing");
      }
    }
    return new ListingRequest(r.bucket(), r.maxKeys(), SortField.KEY, false, prefix, delimiter,
        startAfter, null, null, null, null, null, null, List.of(), false, false, cursor, scope);
  }
}
