package io.s3index.shared.events;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns one event message into {@link ObjectEvent}s. The format is detected per message:
 *
 * <ul>
 *   <li>S3 event notifications {@code {"Records":[…]}} with {@code eventVersion} 2.x, as AWS,
 *       MinIO (also inside its {@code {"EventName","Key","Records"}} envelope) and Ceph RGW send
 *       them;
 *   <li>EventBridge S3 events ({@code "source":"aws.s3"}, {@code detail-type} {@code Object
 *       Created} / {@code Object Deleted});
 *   <li>{@code s3:TestEvent} messages, which yield nothing and count as skipped.
 * </ul>
 *
 * <p>Unknown fields are ignored. Event types: every {@code ObjectCreated:*} is a create; {@code
 * ObjectRemoved:Delete}, {@code ObjectRemoved:DeleteMarkerCreated}, {@code
 * LifecycleExpiration:Delete} and {@code LifecycleExpiration:DeleteMarkerCreated} are removals;
 * every other type (restore, tagging, ACL, replication, transition, access events) is skipped and
 * counted, since it changes nothing the index holds. A {@code Delete} that names a version
 * ({@code versionId} other than empty or {@code "null"}) permanently removed that one version:
 * it becomes {@link ObjectEvent.Kind#VERSION_REMOVED}.
 *
 * <p>Where the producer carries them, content type and user metadata are taken from the event:
 * MinIO's {@code object.contentType} and {@code object.userMetadata} ({@code X-Amz-Meta-*}
 * entries), Ceph's {@code object.metadata} ({@code x-amz-meta-*} key/val pairs). Metadata keys
 * are stored lower-case without the prefix; content types lower-case.
 *
 * <p>Thread-safe and stateless.
 */
public final class EventParser {

  private static final String META_PREFIX = "x-amz-meta-";

  private final ObjectMapper mapper;

  public EventParser(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public EventParser() {
    this(new ObjectMapper());
  }

  /**
   * Parses one message.
   *
   * <p>A record that lacks a bucket or key, or carries a value the index cannot hold (see {@link
   * EventLimits}), is refused on its own: the message's other records are returned, and the refused
   * ones are named in {@link ParsedMessage#rejected()}, so that the message can be dead-lettered
   * intact while its good records still apply.
   *
   * @throws InvalidEventException if the message is not JSON, has an unknown shape, or yields
   *     nothing but refused records
   */
  public ParsedMessage parse(byte[] payload) {
    if (payload == null || payload.length == 0) {
      throw new InvalidEventException("message is empty");
    }
    JsonNode root;
    try {
      root = mapper.readTree(payload);
    } catch (JacksonException e) {
      throw new InvalidEventException("message is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidEventException("message cannot be read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidEventException("message is not a JSON object");
    }
    if (root.has("Records")) {
      return parseRecords(root.get("Records"));
    }
    if ("aws.s3".equals(root.path("source").asText(null))) {
      return parseEventBridge(root);
    }
    if ("s3:TestEvent".equals(root.path("Event").asText(null))) {
      return new ParsedMessage(List.of(), 1);
    }
    throw new InvalidEventException(
        "unknown message shape: neither S3 \"Records\", EventBridge \"aws.s3\", nor s3:TestEvent");
  }

  private ParsedMessage parseRecords(JsonNode records) {
    if (!records.isArray()) {
      throw new InvalidEventException("\"Records\" is not an array");
    }
    if (records.isEmpty()) {
      throw new InvalidEventException("\"Records\" is empty");
    }
    List<ObjectEvent> events = new ArrayList<>(records.size());
    List<String> rejected = new ArrayList<>();
    int skipped = 0;
    for (int i = 0; i < records.size(); i++) {
      String where = "Records[" + i + "]";
      try {
        ObjectEvent event = record(records.get(i), where);
        if (event == null) {
          skipped++;
        } else {
          events.add(event);
        }
      } catch (InvalidEventException e) {
        // The other records of the message still apply; the message is dead-lettered naming this one.
        rejected.add(e.getMessage());
      }
    }
    if (events.isEmpty() && skipped == 0 && !rejected.isEmpty()) {
      throw new InvalidEventException(String.join("; ", rejected));
    }
    return new ParsedMessage(events, skipped, rejected);
  }

  /** One record of an S3 notification, or null when its event type changes nothing indexed. */
  private ObjectEvent record(JsonNode record, String where) {
    if (!record.isObject()) {
      throw new InvalidEventException(where + " is not an object");
    }
    String version = record.path("eventVersion").asText("");
    if (!version.isEmpty() && !version.startsWith("2.")) {
      throw new InvalidEventException(where + ": unsupported eventVersion " + version);
    }
    String eventName = text(record, "eventName", where);
    ObjectEvent.Kind kind = kindOf(eventName);
    if (kind == null) {
      return null;
    }
    JsonNode s3 = record.path("s3");
    String bucket = bucket(text(s3.path("bucket"), "name", where + ".s3.bucket"), where);
    JsonNode object = s3.path("object");
    String key = ObjectKeys.decodeEventKey(text(object, "key", where + ".s3.object"));
    Instant eventTime = time(text(record, "eventTime", where), where + ".eventTime");
    String versionId = version(optionalText(object, "versionId"));
    boolean created = kind == ObjectEvent.Kind.CREATED;
    Described described = created ? described(object, where) : Described.NONE;
    return new ObjectEvent(
        bucket,
        key,
        versionRemoval(eventName, kind, versionId),
        created ? size(object.path("size"), where) : 0,
        etag(object),
        versionId,
        sequencer(optionalText(object, "sequencer"), eventTime, where),
        eventTime,
        eventName,
        described.contentType(),
        described.metadata(),
        created ? tags(object, where) : null);
  }

  private ParsedMessage parseEventBridge(JsonNode root) {
    String detailType = text(root, "detail-type", "EventBridge event");
    ObjectEvent.Kind kind = switch (detailType) {
      case "Object Created" -> ObjectEvent.Kind.CREATED;
      case "Object Deleted" -> ObjectEvent.Kind.REMOVED;
      case "Object Tags Added", "Object Tags Deleted" -> ObjectEvent.Kind.TAGGED;
      default -> null;
    };
    if (kind == null) {
      return new ParsedMessage(List.of(), 1);
    }
    JsonNode detail = root.path("detail");
    String bucket = bucket(text(detail.path("bucket"), "name", "detail.bucket"), "detail.bucket");
    JsonNode object = detail.path("object");
    String key = ObjectKeys.decodeEventKey(text(object, "key", "detail.object"));
    Instant eventTime = time(text(root, "time", "EventBridge event"), "time");
    String reason = optionalText(detail, "reason");
    String versionId = version(optionalText(object, "version-id"));
    if (kind == ObjectEvent.Kind.REMOVED && versionId != null
        && "Permanently Deleted".equals(optionalText(detail, "deletion-type"))) {
      kind = ObjectEvent.Kind.VERSION_REMOVED;
    }
    return new ParsedMessage(List.of(new ObjectEvent(
        bucket,
        key,
        kind,
        kind == ObjectEvent.Kind.CREATED ? size(object.path("size"), "detail.object") : 0,
        etag(object),
        versionId,
        sequencer(optionalText(object, "sequencer"), eventTime, "detail.object"),
        eventTime,
        reason == null ? detailType : detailType + ":" + reason)), 0);
  }

  /** Ceph's {@code object.tags} ({@code key}/{@code val} pairs), or null where the event has none. */
  private static Map<String, String> tags(JsonNode object, String where) {
    JsonNode ceph = object.get("tags");
    if (ceph == null || !ceph.isArray()) {
      return null;
    }
    Map<String, String> tags = new TreeMap<>();
    for (JsonNode pair : ceph) {
      String name = pair.path("key").asText("");
      if (!name.isEmpty()) {
        tags.put(EventLimits.checkText(name, where + " tag name"),
            EventLimits.checkText(pair.path("val").asText(""), where + " tag \"" + name + "\""));
      }
    }
    return tags;
  }

  private record Described(String contentType, Map<String, String> metadata) {
    static final Described NONE = new Described(null, null);
  }

  /** Content type and user metadata, where MinIO or Ceph put them in the event. */
  private static Described described(JsonNode object, String where) {
    String contentType = optionalText(object, "contentType");
    Map<String, String> metadata = null;
    JsonNode minio = object.get("userMetadata");
    if (minio != null && minio.isObject()) {
      metadata = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : minio.properties()) {
        String name = e.getKey().toLowerCase(Locale.ROOT);
        if (name.startsWith(META_PREFIX)) {
          metadata.put(name.substring(META_PREFIX.length()), e.getValue().asText());
        } else if (name.equals("content-type") && contentType == null) {
          contentType = e.getValue().asText();
        }
      }
    }
    JsonNode ceph = object.get("metadata");
    if (ceph != null && ceph.isArray()) {
      metadata = metadata == null ? new TreeMap<>() : metadata;
      for (JsonNode pair : ceph) {
        String name = pair.path("key").asText("").toLowerCase(Locale.ROOT);
        if (name.startsWith(META_PREFIX)) {
          metadata.put(name.substring(META_PREFIX.length()), pair.path("val").asText(""));
        } else if (name.equals("content-type") && contentType == null) {
          contentType = pair.path("val").asText(null);
        }
      }
    }
    if (contentType != null) {
      contentType = contentType.strip().toLowerCase(Locale.ROOT);
      if (contentType.isEmpty()) {
        contentType = null;
      } else {
        EventLimits.checkContentType(contentType, where);
      }
    }
    if (metadata != null) {
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        EventLimits.checkText(e.getKey(), where + " metadata name");
        EventLimits.checkText(e.getValue(), where + " metadata \"" + e.getKey() + "\"");
      }
    }
    return new Described(contentType, metadata);
  }

  /** A version id, or null for none (absent, empty, or the literal "null" of unversioned writes). */
  private static String version(String raw) {
    return raw == null || raw.equals("null") ? null : raw;
  }

  /** A plain delete that names a version removed that version permanently. */
  private static ObjectEvent.Kind versionRemoval(String eventName, ObjectEvent.Kind kind,
      String versionId) {
    String name = eventName.startsWith("s3:") ? eventName.substring(3) : eventName;
    boolean permanent = name.equals("ObjectRemoved:Delete") || name.equals("LifecycleExpiration:Delete");
    return kind == ObjectEvent.Kind.REMOVED && permanent && versionId != null
        ? ObjectEvent.Kind.VERSION_REMOVED : kind;
  }

  /** The index's view of an S3 event name, or null when the event changes nothing it holds. */
  static ObjectEvent.Kind kindOf(String eventName) {
    String name = eventName.startsWith("s3:") ? eventName.substring(3) : eventName;
    return switch (name) {
      // MinIO reports tag and lock changes as ObjectCreated: they create nothing.
      case "ObjectCreated:PutTagging", "ObjectCreated:DeleteTagging",
          "ObjectTagging:Put", "ObjectTagging:Delete" -> ObjectEvent.Kind.TAGGED;
      case "ObjectCreated:PutRetention", "ObjectCreated:PutLegalHold" -> null;
      case "ObjectRemoved:Delete",
          "ObjectRemoved:DeleteMarkerCreated",
          "LifecycleExpiration:Delete",
          "LifecycleExpiration:DeleteMarkerCreated" -> ObjectEvent.Kind.REMOVED;
      default -> name.startsWith("ObjectCreated:") ? ObjectEvent.Kind.CREATED : null;
    };
  }

  private static String text(JsonNode parent, String field, String where) {
    String value = optionalText(parent, field);
    if (value == null) {
      throw new InvalidEventException(where + " has no \"" + field + "\"");
    }
    return value;
  }

  /**
   * A text field, or null when absent or empty. Every text the parser hands on passes through
   * here, so none carries what PostgreSQL's text cannot hold (NUL, unpaired surrogates).
   */
  private static String optionalText(JsonNode parent, String field) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull() || !node.isValueNode() || node.asText().isEmpty()) {
      return null;
    }
    return EventLimits.checkText(node.asText(), "\"" + field + "\"");
  }

  /** The ETag as producers spell it ({@code eTag}: AWS, MinIO, Ceph; {@code etag}: EventBridge, some Ceph versions). */
  private static String etag(JsonNode object) {
    String etag = optionalText(object, "eTag");
    return ETags.normalize(etag != null ? etag : optionalText(object, "etag"));
  }

  private static String bucket(String name, String where) {
    return EventLimits.checkBucket(name, where);
  }

  /**
   * A size as producers send it: a JSON integer (AWS, MinIO) or a string of decimal digits (Ceph
   * RGW). Fractions, signs, exponents and values past a long are refused, never rounded.
   */
  private static long size(JsonNode node, String where) {
    if (node.isMissingNode() || node.isNull()) {
      return 0;
    }
    if (node.isIntegralNumber() && node.canConvertToLong() && node.asLong() >= 0) {
      return node.asLong();
    }
    if (node.isTextual() && SIZE_TEXT.matcher(node.asText()).matches()) {
      try {
        return Long.parseLong(node.asText());
      } catch (NumberFormatException e) {
        // Over Long.MAX_VALUE: refused below.
      }
    }
    throw new InvalidEventException(where + ": size is not a non-negative whole number of bytes: " + node);
  }

  private static final java.util.regex.Pattern SIZE_TEXT = java.util.regex.Pattern.compile("[0-9]{1,19}");

  private static Instant time(String value, String where) {
    Instant time;
    try {
      time = OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidEventException(where + " is not an RFC 3339 time: " + value, e);
    }
    return EventLimits.checkTime(time, where);
  }

  private static String sequencer(String raw, Instant eventTime, String where) {
    try {
      return raw == null ? Sequencer.fromEventTime(eventTime) : Sequencer.normalize(raw);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidEventException(where + ": " + e.getMessage(), e);
    }
  }
}
