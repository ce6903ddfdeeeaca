package io.s3index.shared.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventParserTest {

  private final EventParser parser = new EventParser();

  private ParsedMessage parse(String json) {
    return parser.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsAnAwsNotification() {
    ParsedMessage parsed = parse("""
        {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
          "eventTime":"2025-10-15T10:00:00.123Z","eventName":"ObjectCreated:Put",
          "userIdentity":{"principalId":"AWS:X"},"requestParameters":{"sourceIPAddress":"1.2.3.4"},
          "responseElements":{"x-amz-request-id":"R"},
          "s3":{"s3SchemaVersion":"1.0","configurationId":"c","bucket":{"name":"photos",
            "ownerIdentity":{"principalId":"P"},"arn":"arn:aws:s3:::photos"},
            "object":{"key":"2025/a+b%2B%25.jpg","size":1024,"eTag":"d41d8cd9",
              "versionId":"v1","sequencer":"0055aed6dcd90281e5"}}}]}""");
    assertThat(parsed.skipped()).isZero();
    assertThat(parsed.events()).singleElement().satisfies(e -> {
      assertThat(e.bucket()).isEqualTo("photos");
      assertThat(e.key()).isEqualTo("2025/a b+%.jpg");
      assertThat(e.kind()).isEqualTo(ObjectEvent.Kind.CREATED);
      assertThat(e.size()).isEqualTo(1024);
      assertThat(e.etag()).isEqualTo("d41d8cd9");
      assertThat(e.versionId()).isEqualTo("v1");
      assertThat(e.sequencer()).isEqualTo("0055AED6DCD90281E5");
      assertThat(e.eventTime()).isEqualTo(Instant.parse("2025-10-15T10:00:00.123Z"));
    });
  }

  @Test
  void readsDeletesAndSkipsOtherTypes() {
    ParsedMessage parsed = parse("""
        {"Records":[
          {"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"ObjectRemoved:Delete",
           "s3":{"bucket":{"name":"b"},"object":{"key":"k","sequencer":"0A"}}},
          {"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"s3:ObjectRemoved:DeleteMarkerCreated",
           "s3":{"bucket":{"name":"b"},"object":{"key":"k2","sequencer":"0B"}}},
          {"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"LifecycleExpiration:Delete",
           "s3":{"bucket":{"name":"b"},"object":{"key":"k3","sequencer":"0C"}}},
          {"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"ObjectRestore:Completed",
           "s3":{"bucket":{"name":"b"},"object":{"key":"k4","sequencer":"0D"}}}]}""");
    assertThat(parsed.events()).extracting(ObjectEvent::kind).containsOnly(ObjectEvent.Kind.REMOVED);
    assertThat(parsed.events()).extracting(ObjectEvent::key).containsExactly("k", "k2", "k3");
    assertThat(parsed.skipped()).isEqualTo(1);
  }

  @Test
  void readsTheMinioEnvelopeWithEncodedSlashes() {
    ParsedMessage parsed = parse("""
        {"EventName":"s3:ObjectCreated:Put","Key":"bucket/dir/x y.txt","Records":[{
          "eventVersion":"2.0","eventSource":"minio:s3","eventTime":"2025-10-15T10:00:00.5Z",
          "eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"bucket"},
          "object":{"key":"dir%2Fx+y.txt","size":3,"eTag":"e","contentType":"text/plain",
          "userMetadata":{"content-type":"text/plain"},"sequencer":"17A1B2C3D4E5F607"}}}]}""");
    assertThat(parsed.events()).singleElement()
        .satisfies(e -> assertThat(e.key()).isEqualTo("dir/x y.txt"));
  }

  @Test
  void readsEventBridgeEvents() {
    ParsedMessage parsed = parse("""
        {"version":"0","id":"x","detail-type":"Object Deleted","source":"aws.s3",
         "time":"2025-10-15T10:00:00Z","region":"us-east-1",
         "detail":{"version":"0","bucket":{"name":"b"},"object":{"key":"a%20b","sequencer":"1F"},
                   "reason":"DeleteObject","deletion-type":"Permanently Deleted"}}""");
    assertThat(parsed.events()).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(ObjectEvent.Kind.REMOVED);
      assertThat(e.key()).isEqualTo("a b");
      assertThat(e.sequencer()).isEqualTo("1F");
    });
  }

  @Test
  void countsTestEventsAsSkipped() {
    ParsedMessage parsed = parse("""
        {"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-10-15T10:00:00Z",
         "Bucket":"b","RequestId":"r","HostId":"h"}""");
    assertThat(parsed.events()).isEmpty();
    assertThat(parsed.skipped()).isEqualTo(1);
  }

  @Test
  void derivesASequencerFromEventTimeWhenMissing() {
    String template = """
        {"Records":[{"eventVersion":"2.1","eventTime":"%s","eventName":"ObjectCreated:Put",
          "s3":{"bucket":{"name":"b"},"object":{"key":"k","size":1}}}]}""";
    ObjectEvent early = parse(template.formatted("2025-10-15T10:00:00.000001Z")).events().get(0);
    ObjectEvent late = parse(template.formatted("2025-10-15T10:00:00.000002Z")).events().get(0);
    assertThat(late.isNewerThan(early)).isTrue();
    assertThat(parse(template.formatted("2025-10-15T10:00:00.000001Z")).events().get(0).sequencer())
        .isEqualTo(early.sequencer());
  }

  @Test
  void rejectsBadMessagesWithAReason() {
    assertThatThrownBy(() -> parse("not json")).isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("not JSON");
    assertThatThrownBy(() -> parse("[1,2]")).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> parse("{\"hello\":1}")).hasMessageContaining("unknown message shape");
    assertThatThrownBy(() -> parse("""
        {"Records":[{"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"ObjectCreated:Put",
          "s3":{"bucket":{},"object":{"key":"k"}}}]}""")).hasMessageContaining("\"name\"");
    assertThatThrownBy(() -> parse("""
        {"Records":[{"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"ObjectCreated:Put",
          "s3":{"bucket":{"name":"b"},"object":{}}}]}""")).hasMessageContaining("\"key\"");
    assertThatThrownBy(() -> parse("""
        {"Records":[{"eventVersion":"1.0","eventTime":"2025-10-15T10:00:00Z","eventName":"ObjectCreated:Put",
          "s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}""")).hasMessageContaining("eventVersion");
    assertThatThrownBy(() -> parse("""
        {"Records":[{"eventVersion":"2.1","eventTime":"yesterday","eventName":"ObjectCreated:Put",
          "s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}""")).hasMessageContaining("RFC 3339");
    assertThatThrownBy(() -> parse("""
        {"Records":[{"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"ObjectCreated:Put",
          "s3":{"bucket":{"name":"b"},"object":{"key":"k","size":-1}}}]}""")).hasMessageContaining("size");
    assertThatThrownBy(() -> parser.parse(new byte[0])).hasMessageContaining("empty");
  }

  @Test
  void roundTripsThroughTheS3Format() {
    ObjectEvent event = new ObjectEvent("b", "dir/a b+c%d/é😀", ObjectEvent.Kind.CREATED, 42, "etag",
        "v9", "00AB", Instant.parse("2025-10-15T10:00:00.123456Z"), "ObjectCreated:Put");
    assertThat(parser.parse(new S3EventFormat().toJson(event)).events()).containsExactly(event);
    ObjectEvent removal = new ObjectEvent("b", "k", ObjectEvent.Kind.REMOVED, 0, null, null, "0C",
        Instant.parse("2025-10-15T10:00:00Z"), "ObjectRemoved:Delete");
    assertThat(parser.parse(new S3EventFormat().toJson(removal)).events()).containsExactly(removal);
  }

  private static String record(String eventTime, String bucket, String object) {
    return """
        {"eventVersion":"2.1","eventTime":"%s","eventName":"ObjectCreated:Put",
         "s3":{"bucket":{"name":"%s"},"object":%s}}""".formatted(eventTime, bucket, object);
  }

  private static String message(String... records) {
    return "{\"Records\":[" + String.join(",", records) + "]}";
  }

  @Test
  void refusesWhatTheIndexCannotHold() {
    String t = "2025-10-15T10:00:00Z";
    String ok = "{\"key\":\"k\",\"size\":1,\"sequencer\":\"0A\"}";
    // NUL in each text field.
    assertThatThrownBy(() -> parse(message(record(t, "b\\u0000x", ok)))).hasMessageContaining("NUL");
    assertThatThrownBy(() -> parse(message(record(t, "b",
        "{\"key\":\"k\",\"eTag\":\"e\\u0000\",\"sequencer\":\"0A\"}")))).hasMessageContaining("NUL");
    assertThatThrownBy(() -> parse(message(record(t, "b",
        "{\"key\":\"k\",\"versionId\":\"v\\u0000\",\"sequencer\":\"0A\"}")))).hasMessageContaining("NUL");
    assertThatThrownBy(() -> parse(message(record(t, "b",
        "{\"key\":\"k\",\"contentType\":\"text/\\u0000\",\"sequencer\":\"0A\"}")))).hasMessageContaining("NUL");
    assertThatThrownBy(() -> parse(message(record(t, "b",
        "{\"key\":\"k\",\"userMetadata\":{\"X-Amz-Meta-A\":\"\\u0000\"},\"sequencer\":\"0A\"}"))))
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> parse(message(record(t, "b", "{\"key\":\"k%00\",\"sequencer\":\"0A\"}"))))
        .hasMessageContaining("NUL");
    // An unpaired surrogate, raw or in a key.
    assertThatThrownBy(() -> parse(message(record(t, "b", "{\"key\":\"a\\ud800b\",\"sequencer\":\"0A\"}"))))
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(() -> parse(message(record(t, "b", "{\"key\":\"k\",\"eTag\":\"\\udc00\"}"))))
        .hasMessageContaining("unpaired surrogate");
    // Times outside the range, with and without a sequencer.
    assertThatThrownBy(() -> parse(message(record("+300000-01-01T00:00:00Z", "b", "{\"key\":\"k\"}"))))
        .isInstanceOf(InvalidEventException.class);
    assertThatThrownBy(() -> parse(message(record("+10000-01-01T00:00:00Z", "b", ok))))
        .hasMessageContaining("outside the supported range");
    assertThatThrownBy(() -> parse(message(record("1969-12-31T23:59:59Z", "b", "{\"key\":\"k\"}"))))
        .hasMessageContaining("outside the supported range");
    // Fractional, signed or exponent sizes are not rounded.
    for (String size : new String[] {"1.5", "\"1.5\"", "1e3", "\"-1\"", "\"+5\"", "99999999999999999999"}) {
      assertThatThrownBy(() -> parse(message(record(t, "b", "{\"key\":\"k\",\"size\":" + size + "}"))))
          .as(size).hasMessageContaining("size");
    }
    // Bucket names S3 cannot have, and content types too long for the index.
    assertThatThrownBy(() -> parse(message(record(t, "a/b", ok)))).hasMessageContaining("not a bucket name");
    assertThatThrownBy(() -> parse(message(record(t, "b".repeat(256), ok)))).hasMessageContaining("not a bucket name");
    assertThatThrownBy(() -> parse(message(record(t, "b",
        "{\"key\":\"k\",\"contentType\":\"text/" + "x".repeat(1100) + "\"}")))).hasMessageContaining("content type");
  }

  @Test
  void aMessageAppliesItsGoodRecordsAndNamesTheBadOne() {
    String t = "2025-10-15T10:00:00Z";
    ParsedMessage parsed = parse(message(
        record(t, "b", "{\"key\":\"good-1\",\"size\":1,\"sequencer\":\"0A\"}"),
        record(t, "b", "{\"key\":\"bad\",\"size\":1.5,\"sequencer\":\"0B\"}"),
        record(t, "b", "{\"key\":\"good-2\",\"size\":2,\"sequencer\":\"0C\"}")));
    assertThat(parsed.events()).extracting(ObjectEvent::key).containsExactly("good-1", "good-2");
    assertThat(parsed.rejected()).singleElement().asString().startsWith("Records[1]").contains("size");
  }

  @Test
  void takesEveryProducersSpellingOfSizeAndEtag() {
    String t = "2025-10-15T10:00:00Z";
    ObjectEvent ceph = parse(message(record(t, "b",
        "{\"key\":\"k\",\"size\":\"1024\",\"etag\":\"abc\",\"sequencer\":\"0A\"}"))).events().get(0);
    assertThat(ceph.size()).isEqualTo(1024);
    assertThat(ceph.etag()).isEqualTo("abc");
    ObjectEvent noPrefix = parse("""
        {"Records":[{"eventVersion":"2.1","eventTime":"2025-10-15T10:00:00Z","eventName":"s3:ObjectCreated:Put",
          "s3":{"bucket":{"name":"b"},"object":{"key":"k","size":7,"eTag":"e"}}}]}""").events().get(0);
    assertThat(noPrefix.size()).isEqualTo(7);
    assertThat(noPrefix.etag()).isEqualTo("e");
    assertThat(parse(message(record("9999-12-31T23:59:59.999999Z", "b", "{\"key\":\"k\"}"))).events())
        .hasSize(1);
  }
}
