package io.s3index.shared.events;

import java.time.Instant;
import java.util.Objects;

/**
 * One object change taken from an event message, ready to be applied to the index.
 *
 * <p>Immutable. {@code key} is already URL-decoded; {@code sequencer} is normalized by {@link
 * Sequencer#normalize(String)}, so two events for the same (bucket, key) compare with {@link
 * String#compareTo(String)}. {@code etag} and {@code versionId} may be null; {@code size} is 0
 * for removals.
 */
public record ObjectEvent(
    String bucket,
    String key,
    Kind kind,
    long size,
    String etag,
    String versionId,
    String sequencer,
    Instant eventTime,
    String eventName) {

  /** What the event does to the index row of its (bucket, key). */
  public enum Kind {
    /** The object now exists with the event's size and etag. */
    CREATED,
    /** The current version is gone: a tombstone replaces the row. */
    REMOVED
  }

  public ObjectEvent {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(sequencer, "sequencer");
    Objects.requireNonNull(eventTime, "eventTime");
    Objects.requireNonNull(eventName, "eventName");
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative: " + size);
    }
  }

  /** True if this event must win over {@code other} for the same (bucket, key). */
  public boolean isNewerThan(ObjectEvent other) {
    return sequencer.compareTo(other.sequencer) > 0;
  }
}
