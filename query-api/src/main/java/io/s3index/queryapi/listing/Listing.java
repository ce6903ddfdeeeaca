package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.events.ObjectKeys;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.s3index.shared.failure.Failures;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Reads one page of a listing with a single keyset range scan, never OFFSET.
 *
 * <ul>
 *   <li>Flat listings: a strict row-value comparison on (sort value, key) from the cursor's
 *       boundary, {@code LIMIT page_size + 1} to learn whether more rows follow. A previous page
 *       scans the other way from its boundary and is reversed.
 *   <li>Folder listings ({@code delimiter}): a recursive query that probes the key index once per
 *       entry and, when a key rolls up into a common prefix, jumps over every key under that
 *       prefix in one probe, so a page of 100 folders costs about 100 index probes however many
 *       objects they hold.
 * </ul>
 *
 * <p>The SQL is assembled only from constant fragments chosen by the validated request; every
 * value is a bound parameter.
 */
final class Listing {

  /** The columns of an {@link ObjectRow} in the order it reads them, from table alias {@code a} ("" for none). */
  private static String columns(String a) {
    return a + "key, " + a + "size, " + a + "etag, " + a + "content_type, " + a + "last_modified, "
        + a + "storage_class, " + a + "version_id, " + a + "metadata::text AS metadata";
  }

  /** Exact counts running at once; more callers get the planner's estimate at once. */
  private static final int EXACT_COUNTS = 2;

  private final Jdbi jdbi;
  private final CursorCodec cursors;
  private final Duration countTimeout;
  private final Semaphore exactCounts = new Semaphore(EXACT_COUNTS);

  /** @param countTimeout how long an exact total may take before the estimate is answered */
  Listing(Jdbi jdbi, CursorCodec cursors, Duration countTimeout) {
    this.jdbi = jdbi;
    this.cursors = cursors;
    this.countTimeout = countTimeout;
  }

  /**
   * One page, in the requested order. {@code commonPrefixes} is null without a delimiter; {@code
   * totalCount} is null unless asked for, and then {@code totalIsEstimate} says whether it is the
   * planner's estimate rather than an exact count.
   */
  record Page(List<ObjectRow> rows, List<String> commonPrefixes, boolean hasNext,
      boolean hasPrevious, String nextCursor, String previousCursor, Long totalCount,
      boolean totalIsEstimate) {}

  /** A statement and its parameters. */
  record Statement(String sql, Map<String, Object> binds) {
    Query bind(Query query) {
      binds.forEach(query::bind);
      return query;
    }
  }

  /**
   * Reads a page. A walk's first page is read in a repeatable-read transaction that also takes
   * its snapshot; every cursor of the walk carries that snapshot, and later pages keep only rows
   * whose version stamp ({@code version_xid}: the transaction that gave the row its sequencer,
   * deleted flag, size and last_modified) it sees. So a walk never returns an object twice, even
   * when its sort value changes mid-walk: a changed object leaves the walk, an unchanged one stays
   * put, whatever bookkeeping rewrote its row (enrichment, a rebuild, a repair that changed
   * nothing).
   */
  Page page(ListingRequest request) {
    if (request.cursor() == null) {
      return jdbi.inTransaction(TransactionIsolationLevel.REPEATABLE_READ, handle -> {
        String snapshot = handle.createQuery("SELECT pg_current_snapshot()::text")
            .mapTo(String.class).one();
        return read(handle, request, snapshot);
      });
    }
    return jdbi.withHandle(handle -> read(handle, request, request.cursor().snapshot()));
  }

  private Page read(Handle handle, ListingRequest request, String snapshot) {
    return request.delimiter() == null
        ? flat(handle, request, snapshot) : folder(handle, request, snapshot);
  }

  /** The page with its total, when the request asks for one. */
  Page withTotal(ListingRequest request, Page page) {
    if (!request.includeTotal()) {
      return page;
    }
    long[] total = total(request);
    return new Page(page.rows(), page.commonPrefixes(), page.hasNext(), page.hasPrevious(),
        page.nextCursor(), page.previousCursor(), total[0], total[1] != 0);
  }

  /**
   * The number of objects the request matches: exact when a count finishes within the count
   * timeout, else the planner's estimate ({1 = estimate} in the second slot). At most {@value
   * #EXACT_COUNTS} exact counts run at once, so totals never hold every connection of the pool.
   */
  private long[] total(ListingRequest request) {
    Statement count = countStatement(request);
    if (exactCounts.tryAcquire()) {
      try {
        return new long[] {jdbi.inTransaction(handle -> {
          handle.execute("SELECT set_config('statement_timeout', ?, true)", countTimeout.toMillis() + "ms");
          return count.bind(handle.createQuery(count.sql())).mapTo(Long.class).one();
        }), 0};
      } catch (RuntimeException e) {
        if (!Failures.isStatementTimeout(e)) {
          throw e;
        }
      } finally {
        exactCounts.release();
      }
    }
    Statement rows = estimateStatement(request);
    String plan = jdbi.withHandle(handle -> rows.bind(handle.createQuery(rows.sql())).mapTo(String.class).one());
    return new long[] {estimatedRows(plan), 1};
  }

  /** The top plan node's row estimate from {@code EXPLAIN (FORMAT JSON)}. */
  static long estimatedRows(String planJson) {
    Matcher m = PLAN_ROWS.matcher(planJson);
    return m.find() ? Math.round(Double.parseDouble(m.group(1))) : 0;
  }

  private static final Pattern PLAN_ROWS = Pattern.compile("\"Plan Rows\":\\s*([0-9.eE+]+)");

  /** The plan PostgreSQL chooses for the page query of a request (for tests and diagnostics). */
  String explain(ListingRequest request) {
    String snapshot = request.cursor() == null ? null : request.cursor().snapshot();
    Statement statement = request.delimiter() == null
        ? flatStatement(request, snapshot) : folderStatement(request, snapshot);
    return jdbi.withHandle(handle -> String.join("\n",
        statement.bind(handle.createQuery("EXPLAIN " + statement.sql())).mapTo(String.class).list()));
  }

  private static boolean backwards(ListingRequest request) {
    return request.cursor() != null && request.cursor().direction() == Cursor.Direction.PREVIOUS;
  }

  /**
   * Conditions every listing of the request shares: bucket, live rows, prefix and filters, on
   * table alias {@code a} ("" for none).
   */
  private static StringBuilder where(ListingRequest r, Map<String, Object> binds, String a) {
    StringBuilder sql = new StringBuilder(" WHERE " + a + "bucket = :bucket AND NOT " + a + "deleted");
    binds.put("bucket", r.bucket());
    if (binds.containsKey("snapshot")) {
      sql.append(" AND pg_visible_in_snapshot(" + a + "version_xid, CAST(:snapshot AS pg_snapshot))");
    }
    if (r.prefix() != null) {
      sql.append(" AND " + a + "key >= :prefix");
      binds.put("prefix", r.prefix());
      String upper = ObjectKeys.prefixUpperBound(r.prefix());
      if (upper != null) {
        sql.append(" AND " + a + "key < :prefixEnd");
        binds.put("prefixEnd", upper);
      }
    }
    if (r.startAfter() != null) {
      sql.append(" AND " + a + "key > :startAfter");
      binds.put("startAfter", r.startAfter());
    }
    if (r.contentType() != null) {
      sql.append(" AND " + a + "content_type = :contentType");
      binds.put("contentType", r.contentType());
    }
    if (r.contentTypePrefix() != null) {
      sql.append(" AND " + a + "content_type >= :contentTypeLow AND " + a + "content_type < :contentTypeHigh");
      binds.put("contentTypeLow", r.contentTypePrefix());
      binds.put("contentTypeHigh", ObjectKeys.prefixUpperBound(r.contentTypePrefix()));
    }
    if (r.minSize() != null) {
      sql.append(" AND " + a + "size >= :minSize");
      binds.put("minSize", r.minSize());
    }
    if (r.maxSize() != null) {
      sql.append(" AND " + a + "size <= :maxSize");
      binds.put("maxSize", r.maxSize());
    }
    if (r.modifiedAfter() != null) {
      sql.append(" AND " + a + "last_modified > :modifiedAfter");
      binds.put("modifiedAfter", r.modifiedAfter());
    }
    if (r.modifiedBefore() != null) {
      sql.append(" AND " + a + "last_modified < :modifiedBefore");
      binds.put("modifiedBefore", r.modifiedBefore());
    }
    return sql;
  }

  private static Statement countStatement(ListingRequest r) {
    Map<String, Object> binds = new LinkedHashMap<>();
    return new Statement("SELECT count(*) FROM objects" + where(r, binds, ""), binds);
  }

  private static Statement estimateStatement(ListingRequest r) {
    Map<String, Object> binds = new LinkedHashMap<>();
    return new Statement("EXPLAIN (FORMAT JSON) SELECT 1 FROM objects" + where(r, binds, ""), binds);
  }

  /** Parameters that start every page statement: the walk's snapshot, when a cursor carries one. */
  private static Map<String, Object> snapshotBinds(ListingRequest r, String snapshot) {
    Map<String, Object> binds = new LinkedHashMap<>();
    if (r.cursor() != null && snapshot != null) {
      binds.put("snapshot", snapshot);
    }
    return binds;
  }

  /** A page cut from a fetch of limit + 1 entries, in the requested order, with its cursors. */
  private record Window<T>(List<T> page, String next, String previous) {}

  /**
   * Turns a fetch of up to {@code page_size + 1} entries into a page: the extra entry only says
   * whether more follow; a previous page was fetched backwards and is reversed; the cursors carry
   * the first and last entries' boundaries (sort value and key) and the walk's snapshot.
   */
  private <T> Window<T> window(ListingRequest r, String snapshot, List<T> fetched,
      Function<T, String> sortValue, Function<T, String> boundary) {
    boolean backwards = backwards(r);
    boolean more = fetched.size() > r.pageSize();
    List<T> page = new ArrayList<>(more ? fetched.subList(0, r.pageSize()) : fetched);
    if (backwards) {
      Collections.reverse(page);
    }
    boolean hasNext = backwards || more;
    boolean hasPrevious = backwards ? more : r.cursor() != null;
    String next = null;
    String previous = null;
    if (!page.isEmpty()) {
      T first = page.get(0);
      T last = page.get(page.size() - 1);
      if (hasNext) {
        next = cursors.encode(Cursor.Direction.NEXT, sortValue.apply(last), boundary.apply(last),
            r.scope(), snapshot);
      }
      if (hasPrevious) {
        previous = cursors.encode(Cursor.Direction.PREVIOUS, sortValue.apply(first),
            boundary.apply(first), r.scope(), snapshot);
      }
    }
    return new Window<>(page, next, previous);
  }

  // ---- flat listings ----

  private static Statement flatStatement(ListingRequest r, String snapshot) {
    Map<String, Object> binds = snapshotBinds(r, snapshot);
    StringBuilder sql = new StringBuilder("SELECT ").append(columns("")).append(" FROM objects");
    sql.append(where(r, binds, ""));
    Cursor cursor = r.cursor();
    boolean scanAscending = r.descending() == backwards(r);
    SortField sort = r.sortBy();
    String op = scanAscending ? ">" : "<";
    if (cursor != null) {
      binds.put("afterKey", cursor.key());
      if (sort.column() == null) {
        sql.append(" AND key ").append(op).append(" :afterKey");
      } else {
        sql.append(" AND (").append(sort.column()).append(", key) ").append(op)
            .append(" (:afterValue, :afterKey)");
        binds.put("afterValue", sort.sqlValue(cursor.sortValue()));
      }
    }
    String direction = scanAscending ? " ASC" : " DESC";
    sql.append(" ORDER BY ");
    if (sort.column() != null) {
      sql.append(sort.column()).append(direction).append(", ");
    }
    // The limit is a literal, not a parameter: under a generic plan (prepared statements after
    // a few executions) an unknown LIMIT makes the planner price a sort of the whole bucket
    // instead of a short walk of the index. It is a validated number, never request text.
    sql.append("key").append(direction).append(" LIMIT ").append(r.pageSize() + 1);
    return new Statement(sql.toString(), binds);
  }

  private Page flat(Handle handle, ListingRequest r, String snapshot) {
    Statement statement = flatStatement(r, snapshot);
    List<ObjectRow> rows = statement.bind(handle.createQuery(statement.sql()))
        .map((rs, ctx) -> ObjectRow.from(rs)).list();
    Window<ObjectRow> w = window(r, snapshot, rows, row -> r.sortBy().cursorValue(row), ObjectRow::key);
    return new Page(w.page(), null, w.next() != null, w.previous() != null, w.next(), w.previous(), null, false);
  }

  // ---- folder listings ----

  /** The common prefix a key rolls up into, in SQL: NULL when the key has no delimiter after the prefix. */
  private static final String ROLL_UP = """
      CASE WHEN strpos(substr(%1$s, :prefixLength + 1), :delimiter) > 0
           THEN left(%1$s, :prefixLength + strpos(substr(%1$s, :prefixLength + 1), :delimiter) - 1 + :delimiterLength)
      END""";

  /**
   * Ascending: after key k comes the first key >= k || chr(1) (the smallest string greater than k,
   * as keys hold no NUL); after a common prefix P comes the first key >= P's upper bound, which is
   * P with its delimiter's last character incremented. Descending: before either comes the last
   * key < it, since every key under P is >= P.
   */
  private static Statement folderStatement(ListingRequest r, String snapshot) {
    Map<String, Object> binds = snapshotBinds(r, snapshot);
    boolean scanAscending = r.descending() == backwards(r);
    String prefix = r.prefix() == null ? "" : r.prefix();
    binds.put("prefixLength", prefix.codePointCount(0, prefix.length()));
    binds.put("delimiter", r.delimiter());
    binds.put("delimiterLength", r.delimiter().codePointCount(0, r.delimiter().length()));
    binds.put("limit", r.pageSize() + 1);

    StringBuilder first = new StringBuilder("SELECT key, 1 FROM objects").append(where(r, binds, ""));
    Cursor cursor = r.cursor();
    if (cursor != null) {
      boolean boundaryIsPrefix = ListingRequest.PREFIX_BOUNDARY.equals(cursor.sortValue());
      if (!scanAscending) {
        first.append(" AND key < :boundary");
        binds.put("boundary", cursor.key());
      } else if (boundaryIsPrefix) {
        String upper = ObjectKeys.prefixUpperBound(cursor.key());
        // A common prefix made only of U+10FFFF has nothing after it: an impossible bound.
        first.append(upper == null ? " AND false" : " AND key >= :boundary");
        binds.put("boundary", upper == null ? "" : upper);
      } else {
        first.append(" AND key > :boundary");
        binds.put("boundary", cursor.key());
      }
    }
    String order = scanAscending ? " ASC" : " DESC";
    first.append(" ORDER BY key").append(order).append(" LIMIT 1");

    String nextBound;
    if (scanAscending) {
      nextBound = "o.key >= CASE WHEN strpos(substr(w.key, :prefixLength + 1), :delimiter) > 0"
          + " THEN left(w.key, :prefixLength + strpos(substr(w.key, :prefixLength + 1), :delimiter) - 1)"
          + " || :delimiterUpper ELSE w.key || chr(1) END";
      binds.put("delimiterUpper", ObjectKeys.prefixUpperBound(r.delimiter()));
    } else {
      nextBound = "o.key < COALESCE(" + ROLL_UP.formatted("w.key") + ", w.key)";
    }
    String sql = "WITH RECURSIVE walk(key, n) AS ((" + first + ")"
        + " UNION ALL SELECT (SELECT o.key FROM objects o" + where(r, binds, "o.")
        + " AND " + nextBound + " ORDER BY o.key" + order + " LIMIT 1), w.n + 1"
        + " FROM walk w WHERE w.key IS NOT NULL AND w.n < :limit)"
        + " SELECT w.n, " + ROLL_UP.formatted("w.key") + " AS common_prefix, " + columns("o.")
        + " FROM walk w LEFT JOIN objects o ON o.bucket = :bucket AND o.key = w.key"
        + " AND NOT o.deleted AND strpos(substr(w.key, :prefixLength + 1), :delimiter) = 0"
        + " WHERE w.key IS NOT NULL ORDER BY w.n";
    return new Statement(sql, binds);
  }

  private Page folder(Handle handle, ListingRequest r, String snapshot) {
    Statement statement = folderStatement(r, snapshot);
    record Entry(String commonPrefix, ObjectRow row) {
      String boundary() {
        return commonPrefix != null ? commonPrefix : row.key();
      }
    }
    List<Entry> entries = statement.bind(handle.createQuery(statement.sql()))
        .map((rs, ctx) -> {
          String commonPrefix = rs.getString("common_prefix");
          return new Entry(commonPrefix, commonPrefix == null ? ObjectRow.from(rs, 3) : null);
        }).list();
    Window<Entry> w = window(r, snapshot, entries,
        e -> e.commonPrefix() != null ? ListingRequest.PREFIX_BOUNDARY : null, Entry::boundary);
    List<Entry> page = w.page();
    String next = w.next();
    String previous = w.previous();
    List<ObjectRow> rows = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    for (Entry e : page) {
      if (e.commonPrefix() != null) {
        prefixes.add(e.commonPrefix());
      } else {
        rows.add(e.row());
      }
    }
    return new Page(rows, prefixes, next != null, previous != null, next, previous, null, false);
  }
}
