package io.s3index.shared.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Payloads as AWS, MinIO, Ceph RGW and EventBridge send them. */
class SamplePayloadsTest {

  private final EventParser parser = new EventParser();

  private ParsedMessage parse(String name) throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/events/" + name)) {
      return parser.parse(in.readAllBytes());
    }
  }

  // AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
  @Test
  void aws() throws IOException {
    ObjectEvent put = parse("aws-put.json").events().get(0);
    assertThat(put.bucket()).isEqualTo("amzn-s3-demo-bucket");
    assertThat(put.key()).isEqualTo("photos/2025/a bé.jpg");
    assertThat(put.kind()).isEqualTo(ObjectEvent.Kind.CREATED);
    assertThat(put.versionId()).isEqualTo("096fKKXTRTtl3on89fVO.nfljtsv6qko");
    assertThat(put.isDescribed()).isFalse();

    ObjectEvent marker = parse("aws-delete-marker.json").events().get(0);
    assertThat(marker.kind()).isEqualTo(ObjectEvent.Kind.REMOVED);
    assertThat(marker.isNewerThan(put)).isTrue();

    ObjectEvent version = parse("aws-version-delete.json").events().get(0);
    assertThat(version.kind()).isEqualTo(ObjectEvent.Kind.VERSION_REMOVED);
    assertThat(version.versionId()).isEqualTo("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");

    ParsedMessage test = parse("aws-test-event.json");
    assertThat(test.events()).isEmpty();
    assertThat(test.skipped()).isEqualTo(1);
  }

  // MinIO: https://min.io/docs/minio/linux/administration/monitoring/publish-events-to-kafka.html
  @Test
  void minioWithItsEnvelopeEncodedSlashesAndMetadata() throws IOException {
    ObjectEvent put = parse("minio-put.json").events().get(0);
    assertThat(put.bucket()).isEqualTo("images");
    assertThat(put.key()).isEqualTo("docs/My Report+final.pdf");
    assertThat(put.size()).isEqualTo(48213);
    assertThat(put.contentType()).isEqualTo("application/pdf");
    assertThat(put.metadata()).isEqualTo(Map.of("owner", "u42"));
    ObjectEvent delete = parse("minio-delete.json").events().get(0);
    assertThat(delete.kind()).isEqualTo(ObjectEvent.Kind.REMOVED);
    assertThat(delete.key()).isEqualTo(put.key());
    assertThat(delete.isNewerThan(put)).isTrue();
  }

  // Ceph RGW: https://docs.ceph.com/en/latest/radosgw/notifications/#events (its example sends
  // "size":"1024", a string; some versions spell the ETag "etag").
  @Test
  void cephWithItsStringSizeAndEitherEtagSpelling() throws IOException {
    ObjectEvent documented = parse("ceph-put-documented.json").events().get(0);
    assertThat(documented.size()).isEqualTo(1024);
    assertThat(documented.etag()).isEqualTo("4b4c0ba1f9b5b8a3bd2d36f0c11e7b1d");
    ObjectEvent lowerCase = parse("ceph-put-etag.json").events().get(0);
    assertThat(lowerCase.size()).isEqualTo(1024);
    assertThat(lowerCase.etag()).isEqualTo("4b4c0ba1f9b5b8a3bd2d36f0c11e7b1d");
  }

  @Test
  void cephWithItsExtras() throws IOException {
    ObjectEvent put = parse("ceph-put.json").events().get(0);
    assertThat(put.key()).isEqualTo("reports/q3 summary.txt");
    assertThat(put.versionId()).isNull();
    assertThat(put.metadata()).isEqualTo(Map.of("department", "finance"));
    assertThat(put.eventTime()).isEqualTo(Instant.parse("2025-10-15T10:00:02.124724Z"));
  }

  // EventBridge: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
  @Test
  void eventBridge() throws IOException {
    ObjectEvent created = parse("eventbridge-created.json").events().get(0);
    assertThat(created.kind()).isEqualTo(ObjectEvent.Kind.CREATED);
    assertThat(created.size()).isEqualTo(5);
    assertThat(created.eventName()).isEqualTo("Object Created:PutObject");
    ObjectEvent deleted = parse("eventbridge-deleted.json").events().get(0);
    assertThat(deleted.kind()).isEqualTo(ObjectEvent.Kind.REMOVED);
    assertThat(deleted.isNewerThan(created)).isTrue();
  }
}
