package io.s3index.shared.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Writes {@link ObjectEvent}s as S3 event notifications ({@code {"Records":[…]}}, eventVersion
 * 2.1), the format AWS, MinIO and Ceph send and {@link EventParser} reads. Keys are
 * form-URL-encoded, as S3 does. Thread-safe.
 */
public final class S3EventFormat {

  private final ObjectMapper mapper;

  public S3EventFormat(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public S3EventFormat() {
    this(new ObjectMapper());
  }

  /** The notification message for one event, as UTF-8 JSON. */
  public byte[] toJson(ObjectEvent event) {
    ObjectNode root = mapper.createObjectNode();
    ArrayNode records = root.putArray("Records");
    ObjectNode record = records.addObject();
    record.put("eventVersion", "2.1");
    record.put("eventSource", "aws:s3");
    record.put("eventTime", event.eventTime().toString());
    record.put("eventName", event.eventName());
    ObjectNode s3 = record.putObject("s3");
    s3.put("s3SchemaVersion", "1.0");
    s3.putObject("bucket").put("name", event.bucket()).put("arn", "arn:aws:s3:::" + event.bucket());
    ObjectNode object = s3.putObject("object");
    object.put("key", URLEncoder.encode(event.key(), StandardCharsets.UTF_8));
    if (event.kind() == ObjectEvent.Kind.CREATED) {
      object.put("size", event.size());
      if (event.etag() != null) {
        object.put("eTag", event.etag());
      }
      // MinIO's fields for what the event already knows of the object.
      if (event.contentType() != null) {
        object.put("contentType", event.contentType());
      }
      if (event.metadata() != null) {
        ObjectNode user = object.putObject("userMetadata");
        event.metadata().forEach((k, v) -> user.put("X-Amz-Meta-" + k, v));
      }
      // Ceph's field for the object's tags.
      if (event.tags() != null) {
        com.fasterxml.jackson.databind.node.ArrayNode tags = object.putArray("tags");
        event.tags().forEach((k, v) -> tags.addObject().put("key", k).put("val", v));
      }
    }
    if (event.versionId() != null) {
      object.put("versionId", event.versionId());
    }
    object.put("sequencer", event.sequencer().isEmpty() ? "0" : event.sequencer());
    try {
      return mapper.writeValueAsBytes(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize an event tree", e);
    }
  }

  /** The Kafka message key S3 stores use: {@code bucket/key}, so one key stays in one partition. */
  public static String messageKey(ObjectEvent event) {
    return event.bucket() + "/" + event.key();
  }
}
