package io.s3index.queryapi.listing;

import io.s3index.queryapi.problem.ApiProblem;
import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.cursor.InvalidCursorException;
import io.s3index.shared.events.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated listing request. {@link #parse} rejects unknown, repeated, out-of-range, malformed
 * and contradictory parameters with one {@link ApiProblem} naming each offending parameter.
 *
 * @param prefix literal key prefix, or null
 * @param delimiter folder delimiter, or null for a flat listing
 * @param startAfter list keys after this one (S3 semantics), or null
 * @param contentType exact content type, or null
 * @param contentTypePrefix {@code type/} for a {@code type/*} filter, or null
 * @param minSize smallest size, inclusive, or null
 * @param maxSize largest size, inclusive, or null
 * @param modifiedAfter exclusive lower bound on last_modified, or null
 * @param modifiedBefore exclusive upper bound on last_modified, or null
 * @param attributes user metadata and tag filters, all of which must match (empty for none)
 * @param includeStats whether a folder page carries the sizes of its common prefixes
 * @param cursor the decoded cursor, or null for the first page
 * @param scope the fingerprint of bucket, filters and sort that cursors are bound to
 */
record ListingRequest(String bucket, int pageSize, SortField sortBy, boolean descending,
    String prefix, String delimiter, String startAfter, String contentType,
    String contentTypePrefix, Long minSize, Long maxSize, OffsetDateTime modifiedAfter,
    OffsetDateTime modifiedBefore, List<AttributeFilter> attributes, boolean includeTotal,
    boolean includeStats, Cursor cursor, String scope) {

  /**
   * {@code metadata.<name>=<value>} or {@code tag.<name>=<value>}: the object's user metadata entry
   * (name lower-case, as S3 keeps it) or tag {@code name} has exactly {@code value}, or, when
   * {@code value} is null ({@code =*}), the object has that entry at all.
   */
  record AttributeFilter(boolean tag, String name, String value) {

    /** The entry's name as object_attrs holds it (before its cut to 130 characters). */
    String entry() {
      return (tag ? "t:" : "m:") + name;
    }

    /** The jsonb column of objects that holds the entry. */
    String column() {
      return tag ? "o.tags" : "o.metadata";
    }

    String parameter() {
      return (tag ? "tag." : "metadata.") + name;
    }
  }

  /** At most this many metadata and tag filters in one request. */
  static final int MAX_ATTRIBUTE_FILTERS = 10;

  /**
   * The filter whose index entries drive a key-ordered scan: the first one with a value (most
   * selective as a rule), else the first one. Null without attribute filters.
   */
  AttributeFilter drivingAttribute() {
    return attributes.stream().filter(a -> a.value() != null).findFirst()
        .orElse(attributes.isEmpty() ? null : attributes.get(0));
  }

  /**
   * Whether the total can be read from the kept folder sizes: no filter other than a prefix
   * ending in '/' (or none), and no start_after.
   */
  boolean totalIsAFolderSize() {
    return (prefix == null || prefix.endsWith("/")) && startAfter == null && contentType == null
        && contentTypePrefix == null && minSize == null && maxSize == null && modifiedAfter == null
        && modifiedBefore == null && attributes.isEmpty();
  }

  static final int DEFAULT_PAGE_SIZE = 100;
  static final int MAX_PAGE_SIZE = 1000;
  static final List<String> PARAMETERS = List.of("page_size", "cursor", "sort_by", "sort_order",
      "prefix", "delimiter", "start_after", "content_type", "min_size", "max_size",
      "modified_after", "modified_before", "include_total", "include_stats", "metadata.<name>",
      "tag.<name>");
  private static final Set<String> KNOWN = Set.copyOf(PARAMETERS);
  /** A whole number as ASCII digits, no sign, small enough for a long. */
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");
  private static final Pattern CONTENT_TYPE =
      Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]*/([a-z0-9!#$&^_.+-]+(\\s*;.*)?|\\*)");

  static ListingRequest parse(String bucket, Map<String, List<String>> query, CursorCodec cursors) {
    Map<String, String> errors = new LinkedHashMap<>();
    List<AttributeFilter> attributes = new java.util.ArrayList<>();
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      String name = e.getKey();
      boolean tag = name.startsWith("tag.");
      if (tag || name.startsWith("metadata.")) {
        String entry = name.substring(tag ? 4 : 9);
        String value = e.getValue().isEmpty() ? "" : e.getValue().get(0);
        if (entry.isEmpty() || entry.length() > 128 || entry.chars().anyMatch(c -> c < 0x20)) {
          errors.put(name, "needs a name of 1 to 128 characters after the dot, without control characters");
        } else if (e.getValue().size() > 1) {
          errors.put(name, "given more than once");
        } else if (value.indexOf('\0') >= 0 || value.length() > 2048) {
          errors.put(name, "must be at most 2048 characters, without NUL");
        } else {
          // S3 keeps user metadata names lower-case; tag names are case-sensitive.
          attributes.add(new AttributeFilter(tag, tag ? entry : entry.toLowerCase(Locale.ROOT),
              value.equals("*") ? null : value));
        }
        continue;
      }
      if (!KNOWN.contains(e.getKey())) {
        errors.put(e.getKey(), "unknown parameter; accepted: " + String.join(", ", PARAMETERS));
      } else if (e.getValue().size() > 1) {
        errors.put(e.getKey(), "given more than once");
      }
    }
    Params p = new Params(query, errors);

    int pageSize = p.integer("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    SortField sortBy = SortField.KEY;
    String rawSort = p.get("sort_by");
    if (rawSort != null) {
      sortBy = SortField.fromParameter(rawSort);
      if (sortBy == null) {
        errors.put("sort_by", "must be one of key, last_modified, size");
        sortBy = SortField.KEY;
      }
    }
    boolean descending = false;
    String rawOrder = p.get("sort_order");
    if (rawOrder != null) {
      if (rawOrder.equals("desc")) {
        descending = true;
      } else if (!rawOrder.equals("asc")) {
        errors.put("sort_order", "must be asc or desc");
      }
    }
    String prefix = p.keyLike("prefix");
    String startAfter = p.keyLike("start_after");
    String delimiter = p.keyLike("delimiter");
    if (delimiter != null) {
      if (delimiter.isEmpty()) {
        errors.put("delimiter", "must not be empty");
      } else if (delimiter.codePointBefore(delimiter.length()) == Character.MAX_CODE_POINT) {
        errors.put("delimiter", "must not end with U+10FFFF");
      }
    }
    if (sortBy != SortField.KEY) {
      if (delimiter != null) {
        errors.put("delimiter", "works only with sort_by=key");
      }
      if (startAfter != null) {
        errors.put("start_after", "works only with sort_by=key");
      }
    }
    String contentType = null;
    String contentTypePrefix = null;
    String rawType = p.get("content_type");
    if (rawType != null) {
      String type = rawType.strip().toLowerCase(Locale.ROOT);
      if (type.length() > 255 || !CONTENT_TYPE.matcher(type).matches()) {
        errors.put("content_type", "must be a media type such as image/jpeg, or type/* such as image/*");
      } else if (type.endsWith("/*")) {
        contentTypePrefix = type.substring(0, type.length() - 1);
      } else {
        contentType = type;
      }
    }
    Long minSize = p.size("min_size");
    Long maxSize = p.size("max_size");
    if (minSize != null && maxSize != null && minSize > maxSize) {
      errors.put("max_size", "must not be less than min_size");
    }
    OffsetDateTime modifiedAfter = p.time("modified_after");
    OffsetDateTime modifiedBefore = p.time("modified_before");
    if (modifiedAfter != null && modifiedBefore != null && !modifiedAfter.isBefore(modifiedBefore)) {
      errors.put("modified_before", "must be later than modified_after");
    }
    boolean includeTotal = false;
    String rawTotal = p.get("include_total");
    if (rawTotal != null) {
      if (rawTotal.equals("true")) {
        includeTotal = true;
      } else if (!rawTotal.equals("false")) {
        errors.put("include_total", "must be true or false");
      }
    }
    if (delimiter != null && (rawType != null || minSize != null || maxSize != null
        || modifiedAfter != null || modifiedBefore != null)) {
      errors.put("delimiter", "cannot be combined with content_type, size or time filters");
    }
    if (attributes.size() > MAX_ATTRIBUTE_FILTERS) {
      errors.put("metadata.<name>", "at most " + MAX_ATTRIBUTE_FILTERS + " metadata and tag filters at once");
    }
    boolean includeStats = false;
    String rawStats = p.get("include_stats");
    if (rawStats != null) {
      if (rawStats.equals("true")) {
        includeStats = true;
        if (!"/".equals(delimiter)) {
          errors.put("include_stats", "works only with delimiter=/ (folder sizes are kept for prefixes ending in /)");
        }
      } else if (!rawStats.equals("false")) {
        errors.put("include_stats", "must be true or false");
      }
    }
    if (!errors.isEmpty()) {
      throw ApiProblem.validation(errors);
    }

    String fingerprint = String.join("\u0000", "v2", bucket,
        sortBy.parameterValue(), descending ? "desc" : "asc", str(prefix), str(delimiter),
        str(startAfter), str(contentType), str(contentTypePrefix), str(minSize), str(maxSize),
        str(modifiedAfter == null ? null : modifiedAfter.toInstant()),
        str(modifiedBefore == null ? null : modifiedBefore.toInstant()));
    if (!attributes.isEmpty()) {
      // Appended only when present, so that cursors of listings without them stay valid.
      fingerprint += "\u0000" + attributes.stream()
          .map(a -> a.parameter() + "=" + (a.value() == null ? "*" : a.value()))
          .sorted().collect(java.util.stream.Collectors.joining("\u0001"));
    }
    String scope = CursorCodec.scopeOf(fingerprint);
    Cursor cursor = null;
    String rawCursor = p.get("cursor");
    if (rawCursor != null) {
      try {
        cursor = cursors.decode(rawCursor, scope);
        if (sortBy != SortField.KEY) {
          sortBy.sqlValue(cursor.sortValue());
        } else if (cursor.sortValue() != null) {
          throw new IllegalArgumentException("unexpected sort value");
        }
        if (cursor.boundary() == Cursor.Boundary.COMMON_PREFIX && delimiter == null) {
          throw new IllegalArgumentException("a common prefix outside a folder listing");
        }
      } catch (InvalidCursorException e) {
        throw ApiProblem.invalidCursor(e.getMessage());
      } catch (RuntimeException e) {
        throw ApiProblem.invalidCursor("the cursor does not fit this sort");
      }
    }
    return new ListingRequest(bucket, pageSize, sortBy, descending,
        prefix == null || prefix.isEmpty() ? null : prefix, delimiter,
        startAfter == null || startAfter.isEmpty() ? null : startAfter, contentType,
        contentTypePrefix, minSize, maxSize, modifiedAfter, modifiedBefore, List.copyOf(attributes),
        includeTotal, includeStats, cursor, scope);
  }

  private static String str(Object value) {
    return value == null ? "" : value.toString();
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

  /** Typed reads of single parameters, collecting errors. */
  private record Params(Map<String, List<String>> query, Map<String, String> errors) {

    String get(String name) {
      List<String> values = query.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }

    int integer(String name, int defaultValue, int min, int max) {
      String raw = get(name);
      if (raw == null) {
        return defaultValue;
      }
      // ASCII digits only: parseInt would also take a sign and other scripts' digits.
      if (DIGITS.matcher(raw).matches()) {
        long value = Long.parseLong(raw);
        if (value >= min && value <= max) {
          return (int) value;
        }
      }
      errors.put(name, "must be a whole number from " + min + " to " + max);
      return defaultValue;
    }

    Long size(String name) {
      String raw = get(name);
      if (raw == null) {
        return null;
      }
      if (DIGITS.matcher(raw).matches()) {
        return Long.parseLong(raw);
      }
      errors.put(name, "must be a whole number of bytes, 0 or more");
      return null;
    }

    OffsetDateTime time(String name) {
      String raw = get(name);
      if (raw == null) {
        return null;
      }
      try {
        OffsetDateTime time = OffsetDateTime.parse(raw).withOffsetSameInstant(ZoneOffset.UTC);
        if (time.getYear() >= 1 && time.getYear() <= 9999) {
          return time;
        }
      } catch (DateTimeParseException e) {
        // reported below
      }
      errors.put(name, "must be an RFC 3339 time between years 1 and 9999, such as 2025-10-15T10:00:00Z");
      return null;
    }

    String keyLike(String name) {
      String raw = get(name);
      if (raw == null) {
        return null;
      }
      String problem = keyProblem(raw);
      if (problem != null) {
        errors.put(name, problem);
        return null;
      }
      return raw;
    }
  }
}
