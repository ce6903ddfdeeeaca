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
    for (Map.Entry<String, String> p : pairs(rawQuery, true)) {
      params.computeIfAbsent(p.getKey(), n -> new ArrayList<>(1)).add(p.getValue());
    }
    return params;
  }

  /**
   * The parameters as (name, value) pairs in order of appearance, repeats kept: for the S3
   * endpoint, whose signature covers each as sent.
   *
   * @throws IllegalArgumentException for a broken escape or invalid UTF-8
   */
  public static List<Map.Entry<String, String>> pairs(String rawQuery) {
    return pairs(rawQuery, false);
  }

  private static List<Map.Entry<String, String>> pairs(String rawQuery, boolean problems) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return pairs;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String rawValue = eq < 0 ? "" : pair.substring(eq + 1);
      String name = problems ? decode(rawName, "query") : ObjectKeys.percentDecode(rawName, true);
      String value = problems ? decode(rawValue, name) : ObjectKeys.percentDecode(rawValue, true);
      pairs.add(Map.entry(name, value));
    }
    return pairs;
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

  /**
   * Decodes a path segment as sent ({@code %XX} are UTF-8 bytes; unlike a query, {@code +} is a
   * plus). A broken escape or invalid UTF-8 is a 400 naming {@code parameter}.
   */
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
