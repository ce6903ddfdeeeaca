package io.s3index.queryapi.listing;

import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.cursor.InvalidCursorException;
import io.s3index.shared.events.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated listing request. {@link #parse} rejects unknown, repeated, out-of-range and
 * malformed parameters with one {@link ApiProblem} naming each offending parameter.
 *
 * @param cursor the decoded cursor, or null for the first page
 * @param scope the fingerprint of bucket, filters and sort that cursors are bound to
 */
record ListingRequest(String bucket, int pageSize, SortField sortBy, boolean descending,
    String prefix, Cursor cursor, String scope) {

  static final int DEFAULT_PAGE_SIZE = 100;
  static final int MAX_PAGE_SIZE = 1000;
  private static final Set<String> KNOWN =
      Set.of("page_size", "cursor", "sort_by", "sort_order", "prefix");

  static ListingRequest parse(String bucket, Map<String, List<String>> query, CursorCodec cursors) {
    Map<String, String> errors = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (!KNOWN.contains(e.getKey())) {
        errors.put(e.getKey(), "unknown parameter; accepted: page_size, cursor, sort_by, sort_order, prefix");
      } else if (e.getValue().size() > 1) {
        errors.put(e.getKey(), "given more than once");
      }
    }
    int pageSize = DEFAULT_PAGE_SIZE;
    String rawSize = single(query, "page_size");
    if (rawSize != null) {
      try {
        pageSize = Integer.parseInt(rawSize);
      } catch (NumberFormatException e) {
        pageSize = -1;
      }
      if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
        errors.put("page_size", "must be a whole number from 1 to " + MAX_PAGE_SIZE);
      }
    }
    SortField sortBy = SortField.KEY;
    String rawSort = single(query, "sort_by");
    if (rawSort != null) {
      sortBy = SortField.fromParameter(rawSort);
      if (sortBy == null) {
        errors.put("sort_by", "must be one of key, last_modified, size");
      }
    }
    boolean descending = false;
    String rawOrder = single(query, "sort_order");
    if (rawOrder != null) {
      if (rawOrder.equals("desc")) {
        descending = true;
      } else if (!rawOrder.equals("asc")) {
        errors.put("sort_order", "must be asc or desc");
      }
    }
    String prefix = single(query, "prefix");
    if (prefix != null) {
      String problem = keyProblem(prefix);
      if (problem != null) {
        errors.put("prefix", problem);
      }
    }
    if (!errors.isEmpty()) {
      throw ApiProblem.validation(errors);
    }
    String scope = CursorCodec.scopeOf(String.join("\u0000", "v1", bucket,
        sortBy.parameterValue(), descending ? "desc" : "asc", prefix == null ? "" : prefix));
    Cursor cursor = null;
    String rawCursor = single(query, "cursor");
    if (rawCursor != null) {
      try {
        cursor = cursors.decode(rawCursor, scope);
        if (sortBy != SortField.KEY) {
          sortBy.sqlValue(cursor.sortValue());
        }
      } catch (InvalidCursorException e) {
        throw ApiProblem.invalidCursor(e.getMessage());
      } catch (RuntimeException e) {
        throw ApiProblem.invalidCursor("the cursor does not fit this sort");
      }
    }
    return new ListingRequest(bucket, pageSize, sortBy, descending,
        prefix == null || prefix.isEmpty() ? null : prefix, cursor, scope);
  }

  private static String single(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** Why a string cannot be (part of) a key, or null if it can. */
  static String keyProblem(String value) {
    if (value.indexOf('\0') >= 0) {
      return "must not contain NUL characters";
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > ObjectKeys.MAX_KEY_BYTES) {
      return "must be at most " + ObjectKeys.MAX_KEY_BYTES + " bytes";
    }
    return null;
  }
}
