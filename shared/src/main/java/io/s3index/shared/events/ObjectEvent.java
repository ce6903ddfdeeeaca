package io.s3index.shared.events;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One object change taken from an event message, ready to be applied to the index.
 *
 * <p>Immutable. {@code key} is already URL-decoded; {@code sequencer} is normalized by {@link
 * Sequencer#normalize(String)}, so two events for the same (bucket, key) compare with {@link
 * String#compareTo(String)}. {@code etag}, {@code versionId}, {@code contentType} and {@code
 * metadata} and {@code tags} may be null (null means "not carried by the event", to be found by
 * enrichment); {@code size} is 0 for removals.
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
    String eventName,
    String contentType,
    Map<String, String> metadata,
    Map<String, String> tags) {

  /** What the event does to the index row of its (bucket, key). */
  public enum Kind {
    /** The object now exists with the event's size and etag. */
    CREATED,
    /** The current version is gone (deleted, or hidden by a delete marker): a tombstone replaces the row. */
    REMOVED,
    /**
     * One version was permanently deleted ({@code versionId}). It changes the index only if that
     * version is the indexed, current one; deleting an older version changes nothing listed.
     */
    VERSION_REMOVED,
    /**
     * The object's tags changed and nothing else ({@code ObjectTagging:Put}/{@code Delete}, MinIO's
     * {@code ObjectCreated:PutTagging}/{@code DeleteTagging}): the indexer asks S3 for the new tags
     * when tag enrichment is on, and otherwise changes nothing.
     */
    TAGGED
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
    if (kind == Kind.VERSION_REMOVED && versionId == null) {
      throw new IllegalArgumentException("a version removal needs a versionId");
    }
    metadata = metadata == null ? null : Map.copyOf(metadata);
    tags = tags == null ? null : Map.copyOf(tags);
  }

  /** An event with content type and metadata but without tags (as AWS and MinIO send them). */
  public ObjectEvent(String bucket, String key, Kind kind, long size, String etag,
      String versionId, String sequencer, Instant eventTime, String eventName, String contentType,
      Map<String, String> metadata) {
    this(bucket, key, kind, size, etag, versionId, sequencer, eventTime, eventName, contentType,
        metadata, null);
  }

  /** An event without content type or metadata (the common S3 case). */
  public ObjectEvent(String bucket, String key, Kind kind, long size, String etag,
      String versionId, String sequencer, Instant eventTime, String eventName) {
    this(bucket, key, kind, size, etag, versionId, sequencer, eventTime, eventName, null, null, null);
  }

  /** True if this event must win over {@code other} for the same (bucket, key). */
  public boolean isNewerThan(ObjectEvent other) {
    return sequencer.compareTo(other.sequencer) > 0;
  }

  /** True if the event already says what enrichment would ask S3 for. */
  public boolean isDescribed() {
    return contentType != null || metadata != null;
  }
}
