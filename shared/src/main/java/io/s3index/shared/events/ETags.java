package io.s3index.shared.events;

/**
 * The one rule for ETags: the index stores them without the double quotes S3 puts around them in
 * HTTP headers and listings ({@code "abc"} is stored as {@code abc}), as event notifications
 * carry them.
 */
public final class ETags {

  private ETags() {}

  /** The ETag without quotes; null stays null. */
  public static String normalize(String raw) {
    return raw == null ? null : raw.replace("\"", "");
  }
}
