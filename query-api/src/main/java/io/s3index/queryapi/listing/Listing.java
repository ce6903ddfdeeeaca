package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.events.ObjectKeys;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

/**
 * Reads one page of a listing with a single keyset range scan: a strict row-value comparison on
 * (sort value, key) from the cursor's boundary, {@code LIMIT page_size + 1} to learn whether more
 * rows follow, never OFFSET. A previous page scans the other way from its boundary and is
 * reversed. The SQL is assembled only from constant fragments chosen by the validated request;
 * every value is a bound parameter.
 */
final class Listing {

  private static final String SELECT = """
      SELECT key, size, etag, content_type, last_modified, storage_class, version_id,
             metadata::text AS metadata
      FROM objects
      WHERE bucket = :bucket AND NOT deleted""";

  private final Jdbi jdbi;
  private final CursorCodec cursors;

  Listing(Jdbi jdbi, CursorCodec cursors) {
    this.jdbi = jdbi;
    this.cursors = cursors;
  }

  Page page(ListingRequest request) {
    Cursor cursor = request.cursor();
    boolean backwards = cursor != null && cursor.direction() == Cursor.Direction.PREVIOUS;
    boolean scanAscending = request.descending() == backwards;
    SortField sort = request.sortBy();

    StringBuilder sql = new StringBuilder(SELECT);
    String upper = null;
    if (request.prefix() != null) {
      sql.append(" AND key >= :prefix");
      upper = ObjectKeys.prefixUpperBound(request.prefix());
      if (upper != null) {
        sql.append(" AND key < :prefixEnd");
      }
    }
    String op = scanAscending ? ">" : "<";
    if (cursor != null) {
      if (sort.column() == null) {
        sql.append(" AND key ").append(op).append(" :afterKey");
      } else {
        sql.append(" AND (").append(sort.column()).append(", key) ").append(op)
            .append(" (:afterValue, :afterKey)");
      }
    }
    String direction = scanAscending ? " ASC" : " DESC";
    sql.append(" ORDER BY ");
    if (sort.column() != null) {
      sql.append(sort.column()).append(direction).append(", ");
    }
    sql.append("key").append(direction).append(" LIMIT :limit");

    String prefixEnd = upper;
    List<ObjectRow> rows = jdbi.withHandle(handle -> {
      Query query = handle.createQuery(sql.toString())
          .bind("bucket", request.bucket())
          .bind("limit", request.pageSize() + 1);
      if (request.prefix() != null) {
        query.bind("prefix", request.prefix());
        if (prefixEnd != null) {
          query.bind("prefixEnd", prefixEnd);
        }
      }
      if (cursor != null) {
        query.bind("afterKey", cursor.key());
        if (sort.column() != null) {
          query.bindByType("afterValue", sort.sqlValue(cursor.sortValue()),
              sort == SortField.SIZE ? Long.class : OffsetDateTime.class);
        }
      }
      return query.map((rs, ctx) -> new ObjectRow(
          rs.getString("key"),
          rs.getLong("size"),
          rs.getString("etag"),
          rs.getString("content_type"),
          rs.getObject("last_modified", OffsetDateTime.class).toInstant(),
          rs.getString("storage_class"),
          rs.getString("version_id"),
          rs.getString("metadata"))).list();
    });

    boolean more = rows.size() > request.pageSize();
    List<ObjectRow> page = new ArrayList<>(more ? rows.subList(0, request.pageSize()) : rows);
    boolean hasNext;
    boolean hasPrevious;
    if (backwards) {
      Collections.reverse(page);
      hasNext = true;
      hasPrevious = more;
    } else {
      hasNext = more;
      hasPrevious = cursor != null;
    }
    String next = null;
    String previous = null;
    if (!page.isEmpty()) {
      ObjectRow first = page.get(0);
      ObjectRow last = page.get(page.size() - 1);
      if (hasNext) {
        next = cursors.encode(Cursor.Direction.NEXT, sort.cursorValue(last), last.key(),
            request.scope());
      }
      if (hasPrevious) {
        previous = cursors.encode(Cursor.Direction.PREVIOUS, sort.cursorValue(first), first.key(),
            request.scope());
      }
    }
    return new Page(page, next != null, previous != null, next, previous);
  }

  /** One page, in the requested order. */
  record Page(List<ObjectRow> rows, boolean hasNext, boolean hasPrevious, String nextCursor,
      String previousCursor) {}
}
