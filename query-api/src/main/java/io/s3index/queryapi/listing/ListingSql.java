package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.events.ObjectKeys;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.jdbi.v3.core.statement.Query;

/**
 * The statements of a listing, from the templates beside this class ({@code ListingSql/*.sql}).
 * A template's {@code <defines>} are filled only with the constant fragments below, chosen by the
 * validated request (and the page size, a validated number); every value is a bound parameter.
 */
final class ListingSql {

  private static final ClasspathSqlLocator SQL = ClasspathSqlLocator.removingComments();
  private static final String FLAT = SQL.locate(ListingSql.class, "flat");
  private static final String FOLDER = SQL.locate(ListingSql.class, "folder");
  private static final String COUNT = SQL.locate(ListingSql.class, "count");
  private static final String ESTIMATE = SQL.locate(ListingSql.class, "estimate");

  /** Keeps the rows a walk's snapshot sees: those whose version stamp it sees. */
  private static final String VISIBLE =
      "AND pg_visible_in_snapshot(o.version_xid, CAST(:snapshot AS pg_snapshot))";

  /** After key k comes the first key >= k || chr(1) (the smallest string greater than k, as keys
   * hold no NUL); after a common prefix P, the first key >= P with its delimiter's last character
   * incremented, which is past every key under P. */
  private static final String NEXT_ASCENDING = """
      o.key >= CASE WHEN strpos(substr(w.key, :prefixLength + 1), :delimiter) > 0
                    THEN left(w.key, :prefixLength + strpos(substr(w.key, :prefixLength + 1), :delimiter) - 1)
                         || :delimiterUpper
                    ELSE w.key || chr(1) END""";
  /** Before a key or a common prefix comes the last key below it, since every key under a prefix
   * sorts after the prefix. */
  private static final String NEXT_DESCENDING = """
      o.key < COALESCE(CASE WHEN strpos(substr(w.key, :prefixLength + 1), :delimiter) > 0
                            THEN left(w.key, :prefixLength + strpos(substr(w.key, :prefixLength + 1), :delimiter) - 1
                                             + :delimiterLength)
                       END, w.key)""";

  private ListingSql() {}

  /** A template with the defines and binds of one request. */
  record Statement(String template, Map<String, String> defines, Map<String, Object> binds) {

    Query query(Handle handle) {
      Query query = handle.createQuery(template);
      defines.forEach(query::define);
      binds.forEach(query::bind);
      return query;
    }

    /** The same statement prefixed, for EXPLAIN. */
    Statement prefixed(String prefix) {
      return new Statement(prefix + " " + template, defines, binds);
    }
  }

  /**
   * A flat page. {@code visibleIn} is the snapshot whose rows alone the page may return (a later
   * page of a walk), or null for none (a first page, read inside the snapshot it hands out). In an order other than the key's, metadata and tag filters are probes of each
   * row met on the sort's index, unless {@code rareAttributes} (the driving filter matches few
   * objects, see {@link Listing}): then its entries drive, and the page sorts their objects.
   */
  static Statement flat(ListingRequest r, String visibleIn, boolean rareAttributes) {
    Statement s = start(FLAT, r, visibleIn);
    Cursor cursor = r.cursor();
    boolean ascending = scansAscending(r);
    SortField sort = r.sortBy();
    String after = "";
    if (cursor != null) {
      after = sort.after(ascending);
      s.binds().put("afterKey", cursor.key());
      if (sort.column() != null) {
        s.binds().put("afterValue", sort.sqlValue(cursor.sortValue()));
      }
    }
    s.defines().put("after", after);
    s.defines().put("order", sort.order(ascending));
    s.defines().put("limit", Integer.toString(r.pageSize() + 1));
    return withAttributes(s, r, sort == SortField.KEY || rareAttributes, sort == SortField.KEY || rareAttributes);
  }

  /** A folder page; {@code visibleIn} as for {@link #flat}. */
  static Statement folder(ListingRequest r, String visibleIn) {
    Statement s = start(FOLDER, r, visibleIn);
    boolean ascending = scansAscending(r);
    String prefix = r.prefix() == null ? "" : r.prefix();
    Map<String, Object> binds = s.binds();
    binds.put("prefixLength", prefix.codePointCount(0, prefix.length()));
    binds.put("delimiter", r.delimiter());
    binds.put("delimiterLength", r.delimiter().codePointCount(0, r.delimiter().length()));
    binds.put("limit", r.pageSize() + 1);
    if (ascending) {
      binds.put("delimiterUpper", ObjectKeys.prefixUpperBound(r.delimiter()));
    }
    String start = "";
    Cursor cursor = r.cursor();
    if (cursor != null) {
      String boundary = cursor.key();
      if (!ascending) {
        start = "AND o.key < :boundary";
      } else if (cursor.boundary() == Cursor.Boundary.COMMON_PREFIX) {
        boundary = ObjectKeys.prefixUpperBound(cursor.key());
        // A common prefix made only of U+10FFFF has nothing after it.
        start = boundary == null ? "AND false" : "AND o.key >= :boundary";
      } else {
        start = "AND o.key > :boundary";
      }
      binds.put("boundary", boundary == null ? "" : boundary);
    }
    s.defines().put("start", start);
    s.defines().put("direction", ascending ? "ASC" : "DESC");
    s.defines().put("next", ascending ? NEXT_ASCENDING : NEXT_DESCENDING);
    return withAttributes(s, r, true);
  }

  /** The exact count of what the request's filters match (no cursor, no snapshot). */
  static Statement count(ListingRequest r) {
    return withAttributes(start(COUNT, r, null), r, true);
  }

  /** The planner's estimate of {@link #count}, as an {@code EXPLAIN (FORMAT JSON)} document. */
  static Statement estimate(ListingRequest r) {
    return withAttributes(start(ESTIMATE, r, null), r, true);
  }

  /** A scan runs ascending unless exactly one of "descending order" and "previous page" holds. */
  static boolean scansAscending(ListingRequest r) {
    boolean backwards = r.cursor() != null && r.cursor().direction() == Cursor.Direction.PREVIOUS;
    return r.descending() == backwards;
  }

  /** The template with the bucket, the snapshot filter and the request's filters. */
  private static Statement start(String template, ListingRequest r, String visibleIn) {
    Map<String, String> defines = new LinkedHashMap<>();
    Map<String, Object> binds = new LinkedHashMap<>();
    binds.put("bucket", r.bucket());
    defines.put("visible", visibleIn == null ? "" : VISIBLE);
    if (visibleIn != null) {
      binds.put("snapshot", visibleIn);
    }
    defines.put("filters", String.join(" ", filters(r, binds)));
    defines.put("source", "objects o");
    defines.put("drive", "");
    defines.put("k", "o.key");
    return new Statement(template, defines, binds);
  }

  /**
   * The request's metadata and tag filters. In a key-ordered scan the most selective one (see
   * {@link ListingRequest#drivingAttribute}) drives it: its entries' index {@code (bucket, name,
   * value, key)} (or {@code (bucket, name, key)} for "present") yields the matching keys in key
   * order, so a page reads about as many entries as it returns, however rare the match, and every
   * key condition then names {@code a.key}, equal to {@code o.key} by the join. Every other filter
   * is a probe of its entry's primary key. An entry cut to fit the index (a name or value over 128
   * characters) is rechecked on the object's own jsonb. Must run after every other define is set.
   */
  private static Statement withAttributes(Statement s, ListingRequest r, boolean keyOrdered) {
    return withAttributes(s, r, keyOrdered, true);
  }

  /**
   * @param drive whether the driving filter's entries lead the scan
   * @param joinable whether the other filters may be joined (EXISTS, which the planner may turn
   *     into a join from the entries); otherwise each is a probe per row met (a scalar subquery,
   *     which it cannot), so that a walk of a sort index stops as soon as the page is full
   */
  private static Statement withAttributes(Statement s, ListingRequest r, boolean keyOrdered, boolean joinable) {
    List<ListingRequest.AttributeFilter> attributes = r.attributes();
    if (attributes.isEmpty()) {
      return s;
    }
    ListingRequest.AttributeFilter drive = keyOrdered ? r.drivingAttribute() : null;
    Map<String, Object> binds = s.binds();
    List<String> conditions = new java.util.ArrayList<>();
    for (int i = 0; i < attributes.size(); i++) {
      ListingRequest.AttributeFilter a = attributes.get(i);
      binds.put("attrEntry" + i, a.entry());
      if (a.value() != null) {
        binds.put("attrValue" + i, a.value());
      }
      if (a != drive) {
        String probe = "SELECT true FROM object_attrs x" + i + " WHERE x" + i + ".bucket = o.bucket"
            + " AND x" + i + ".name = left(:attrEntry" + i + ", 130)"
            + (a.value() == null ? "" : " AND x" + i + ".value = left(:attrValue" + i + ", 128)")
            + " AND x" + i + ".key = o.key";
        conditions.add(joinable ? "AND EXISTS (" + probe + ")" : "AND (" + probe + " LIMIT 1)");
      }
      if (a.name().length() > 128 || (a.value() != null && a.value().length() > 128)) {
        binds.put("attrName" + i, a.name());
        conditions.add(a.value() == null
            ? "AND " + a.column() + " ->> :attrName" + i + " IS NOT NULL"
            : "AND " + a.column() + " ->> :attrName" + i + " = :attrValue" + i);
      }
    }
    s.defines().put("filters", s.defines().get("filters") + " " + String.join(" ", conditions));
    if (drive == null) {
      return s;
    }
    int d = attributes.indexOf(drive);
    s.defines().replaceAll((name, fragment) -> fragment.replace("o.key", "a.key"));
    s.defines().put("source", "object_attrs a JOIN objects o ON o.bucket = a.bucket AND o.key = a.key");
    s.defines().put("drive", "AND a.bucket = :bucket AND a.name = left(:attrEntry" + d + ", 130)"
        + (drive.value() == null ? "" : " AND a.value = left(:attrValue" + d + ", 128)"));
    return s;
  }

  /**
   * The common prefix {@code key} rolls up into in a folder listing of {@code prefix} (null: none)
   * by {@code delimiter}, or null: without a delimiter, outside the prefix, or with no delimiter
   * after it.
   */
  static String commonPrefixOf(String key, String prefix, String delimiter) {
    String p = prefix == null ? "" : prefix;
    if (delimiter == null || !key.startsWith(p)) {
      return null;
    }
    int at = key.indexOf(delimiter, p.length());
    return at < 0 ? null : key.substring(0, at + delimiter.length());
  }

  /** The key range of a literal prefix (none when null) on alias {@code o}: listings and the change feed. */
  static void prefix(String prefix, List<String> conditions, Map<String, Object> binds) {
    if (prefix == null) {
      return;
    }
    conditions.add("AND o.key >= :prefix");
    binds.put("prefix", prefix);
    String upper = ObjectKeys.prefixUpperBound(prefix);
    if (upper != null) {
      conditions.add("AND o.key < :prefixEnd");
      binds.put("prefixEnd", upper);
    }
  }

  /** The request's filters on alias {@code o}, each a constant "AND condition", with their binds. */
  private static List<String> filters(ListingRequest r, Map<String, Object> binds) {
    List<String> conditions = new java.util.ArrayList<>();
    prefix(r.prefix(), conditions, binds);
    if (r.startAfter() != null) {
      String skipped = commonPrefixOf(r.startAfter(), r.prefix(), r.delimiter());
      if (skipped == null) {
        conditions.add("AND o.key > :startAfter");
        binds.put("startAfter", r.startAfter());
      } else {
        // start_after lies in a common prefix, which sorts at or before it: every entry must sort
        // after start_after (S3), so that prefix is not listed again, nor any key under it.
        String past = ObjectKeys.prefixUpperBound(skipped);
        conditions.add(past == null ? "AND false" : "AND o.key >= :startAfter");
        binds.put("startAfter", past == null ? "" : past);
      }
    }
    if (r.contentType() != null) {
      conditions.add("AND o.content_type = :contentType");
      binds.put("contentType", r.contentType());
    }
    if (r.contentTypePrefix() != null) {
      conditions.add("AND o.content_type >= :contentTypeLow AND o.content_type < :contentTypeHigh");
      binds.put("contentTypeLow", r.contentTypePrefix());
      binds.put("contentTypeHigh", ObjectKeys.prefixUpperBound(r.contentTypePrefix()));
    }
    if (r.minSize() != null) {
      conditions.add("AND o.size >= :minSize");
      binds.put("minSize", r.minSize());
    }
    if (r.maxSize() != null) {
      conditions.add("AND o.size <= :maxSize");
      binds.put("maxSize", r.maxSize());
    }
    if (r.modifiedAfter() != null) {
      conditions.add("AND o.last_modified > :modifiedAfter");
      binds.put("modifiedAfter", r.modifiedAfter());
    }
    if (r.modifiedBefore() != null) {
      conditions.add("AND o.last_modified < :modifiedBefore");
      binds.put("modifiedBefore", r.modifiedBefore());
    }
    return conditions;
  }
}
