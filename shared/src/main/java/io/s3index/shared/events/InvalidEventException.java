package io.s3index.shared.events;

/**
 * A message that cannot be turned into index changes: not JSON, an unknown shape, a missing or
 * unacceptable field. The message is the reason, fit for a dead-letter header.
 */
public final class InvalidEventException extends RuntimeException {

  public InvalidEventException(String message) {
    super(message);
  }

  public InvalidEventException(String message, Throwable cause) {
    super(message, cause);
  }
}
