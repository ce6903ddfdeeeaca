package io.s3index.queryapi.problem;

import java.util.Map;
import java.util.TreeMap;

/**
 * A failure the client should see as an RFC 9457 problem document. {@code error} is the stable
 * machine-readable code; {@code detail} is safe to show (never an exception's or SQL's text).
 */
public final class ApiProblem extends RuntimeException {

  private final int status;
  private final String error;
  private final String title;
  private final Map<String, String> errors;

  private ApiProblem(int status, String error, String title, String detail,
      Map<String, String> errors) {
    super(detail, null, false, false);
    this.status = status;
    this.error = error;
    this.title = title;
    this.errors = errors == null ? null : Map.copyOf(errors);
  }

  /** 400: parameters are unknown, repeated, out of range or malformed; {@code errors} names each. */
  public static ApiProblem validation(Map<String, String> errors) {
    String detail = errors.size() == 1
        ? "Parameter '" + errors.keySet().iterator().next() + "': " + errors.values().iterator().next()
        : errors.size() + " parameters are invalid: " + String.join(", ", new TreeMap<>(errors).keySet());
    return new ApiProblem(400, "validation_error", "Invalid request parameters", detail, errors);
  }

  public static ApiProblem invalidCursor(String detail) {
    return new ApiProblem(400, "invalid_cursor", "Invalid cursor", detail, null);
  }

  /** 410: a change-feed cursor points into history that is gone; the client re-walks. */
  public static ApiProblem cursorExpired(String detail) {
    return new ApiProblem(410, "cursor_expired", "Cursor expired", detail, null);
  }

  public static ApiProblem notFound(String detail) {
    return new ApiProblem(404, "not_found", "Not found", detail, null);
  }

  public static ApiProblem unauthorized(String detail) {
    return new ApiProblem(401, "unauthorized", "Unauthorized", detail, null);
  }

  public static ApiProblem forbidden(String detail) {
    return new ApiProblem(403, "forbidden", "Forbidden", detail, null);
  }

  public static ApiProblem rateLimited(long retryAfterSeconds) {
    return new ApiProblem(429, "rate_limited", "Too many requests",
        "This caller's request rate is over its limit; retry after " + retryAfterSeconds + " s.", null);
  }

  public static ApiProblem unavailable() {
    return new ApiProblem(503, "unavailable", "Service unavailable",
        "The index database cannot be reached right now; retry shortly.", null);
  }

  /** 503: the query ran past the statement timeout and was cancelled. */
  public static ApiProblem timedOut() {
    return new ApiProblem(503, "unavailable", "Service unavailable",
        "The query did not finish within the API's statement timeout; retry shortly, or narrow the request.", null);
  }

  /** 405: the path exists, the method does not; the caller sets {@code Allow}. */
  public static ApiProblem methodNotAllowed(String method, String allowed) {
    return new ApiProblem(405, "method_not_allowed", "Method not allowed",
        "This path answers " + allowed + ", not " + method + ".", null);
  }

  /** Any other client error Jetty or Javalin detects, keeping its status (413, 414, 431, ...). */
  public static ApiProblem clientError(int status, String title, String detail) {
    if (status < 400 || status > 499) {
      throw new IllegalArgumentException("not a client error: " + status);
    }
    return new ApiProblem(status, "validation_error", title, detail, null);
  }

  public int status() {
    return status;
  }

  public String error() {
    return error;
  }

  public String title() {
    return title;
  }

  public String detail() {
    return getMessage();
  }

  /** Parameter name to message, for validation problems; null otherwise. */
  public Map<String, String> errors() {
    return errors;
  }
}
