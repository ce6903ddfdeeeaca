package io.s3index.queryapi;

import io.s3index.shared.events.ObjectKeys;
import io.s3index.queryapi.problem.ApiProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict parsing of a raw query string ({@code application/x-www-form-urlencoded}): {@code +} is
 * a space, {@code %XX} are UTF-8 bytes. Unlike the servlet container's lenient parser, a broken
 * escape or invalid UTF-8 is a 400 naming the parameter, never a silently dropped parameter.
 */
public final class QueryString {

  private QueryString() {}

  /** Parameter name to its values, in order of appearance. */
  public static Map<String, List<String>> parse(String rawQuery) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String rawValue = eq < 0 ? "" : pair.substring(eq + 1);
      String name = decode(rawName, "query");
      String value = decode(rawValue, name);
      params.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
    }
    return params;
  }

  /**
   * For endpoints that take no parameters: any parameter is a 400 naming it.
   *
   * @throws ApiProblem if the query string holds a parameter
   */
  public static void requireNone(String rawQuery) {
    Map<String, List<String>> query = parse(rawQuery);
    if (!query.isEmpty()) {
      Map<String, String> errors = new java.util.TreeMap<>();
      query.keySet().forEach(name -> errors.put(name, "unknown parameter; this endpoint takes none"));
      throw ApiProblem.validation(errors);
    }
  }

  /**
   * Decodes a path segment as sent ({@code %XX} are UTF-8 bytes; unlike a query, {@code +} is a
   * plus). A broken escape or invalid UTF-8 is a 400 naming {@code parameter}.
   */
  /** The one value of a parameter, or null when absent (repeats are reported by the caller). */
  public static String single(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /**
   * A whole number of ASCII digits from {@code min} to {@code max}, {@code fallback} when absent;
   * otherwise an error for {@code name} in {@code errors} (and the fallback).
   */
  public static int wholeNumber(Map<String, List<String>> query, String name, int fallback, int min, int max,
      Map<String, String> errors) {
    String raw = single(query, name);
    if (raw == null) {
      return fallback;
    }
    if (raw.matches("[0-9]{1,9}")) {
      int value = Integer.parseInt(raw);
      if (value >= min && value <= max) {
        return value;
      }
    }
    errors.put(name, "must be a whole number from " + min + " to " + max);
    return fallback;
  }

  public static String decodePath(String raw, String parameter) {
    return decode(raw, false, parameter);
  }

  private static String decode(String raw, String parameter) {
    return decode(raw, true, parameter);
  }

  private static String decode(String raw, boolean plusIsSpace, String parameter) {
    try {
      return ObjectKeys.percentDecode(raw, plusIsSpace);
    } catch (IllegalArgumentException e) {
      throw malformed(parameter, e.getMessage());
    }
  }

  private static ApiProblem malformed(String parameter, String why) {
    return ApiProblem.validation(Map.of(parameter, why));
  }
}
