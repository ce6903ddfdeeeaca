package io.s3index.shared.cursor;

/** A cursor token was tampered with, truncated, made for another query, or has expired. */
public final class InvalidCursorException extends RuntimeException {

  public InvalidCursorException(String message) {
    super(message);
  }
}
