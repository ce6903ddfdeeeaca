package io.s3index.indexer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ceph RGW's notification records carry each object's user metadata and tags as key/val pairs:
 * the indexer stores both (metadata names lower-case, tag names as they are) and their filter
 * entries, an overwrite replaces them, a delete removes them, and a tagging event without tag
 * enrichment changes nothing.
 */
class CephEventsIT {

  private static String record(String name, String key, long size, String sequencer, String time, String extra) {
    return """
        {"eventVersion":"2.2","eventSource":"ceph:s3","awsRegion":"default","eventTime":"%s",
         "eventName":"%s","userIdentity":{"principalId":"tester"},
         "s3":{"s3SchemaVersion":"1.0","configurationId":"index",
               "bucket":{"name":"ceph","ownerIdentity":{"principalId":"tester"},"arn":"arn:aws:s3:default::ceph","id":"b.1"},
               "object":{"key":"%s","size":%d,"eTag":"9a0364b9e99bb480dd25e1f0284c8555","versionId":"",
                         "sequencer":"%s"%s}},
         "eventId":"1.2","opaqueData":""}""".formatted(time, name, key, size, sequencer, extra);
  }

  private static byte[] message(String... records) {
    return ("{\"Records\":[" + String.join(",", records) + "]}").getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> entries(Harness harness) {
    return harness.database.jdbi().withHandle(h -> h.createQuery(
        "SELECT key || ' ' || name || '=' || value FROM object_attrs WHERE bucket = 'ceph' ORDER BY 1")
        .mapTo(String.class).list());
  }

  @Test
  void metadataAndTagsFromCephRecordsAreStoredAndFollowTheObject() throws Exception {
    try (Harness harness = new Harness("ceph-events", 1);
         Indexer indexer = Indexer.start(harness.config("ceph"), harness.database)) {
      String withBoth = ",\"metadata\":[{\"key\":\"x-amz-meta-Project\",\"val\":\"apollo\"},"
          + "{\"key\":\"content-type\",\"val\":\"image/jpeg\"}],"
          + "\"tags\":[{\"key\":\"Env\",\"val\":\"prod\"},{\"key\":\"team\",\"val\":\"blue\"}]";
      harness.sendRaw("ceph/a", message(
          record("ObjectCreated:Put", "photos/a.jpg", 1024, "F7E6D75DC742D108", "2025-05-01T10:00:00.000Z", withBoth),
          record("ObjectCreated:Put", "photos/b.jpg", 10, "F7E6D75DC742D109", "2025-05-01T10:00:01.000Z",
              ",\"metadata\":[],\"tags\":[]")), 0).get();
      await("both objects are indexed").atMost(Duration.ofSeconds(60))
          .until(() -> harness.live("ceph").size() == 2);
      assertThat(harness.database.jdbi().<String, RuntimeException>withHandle(h -> h.createQuery(
              "SELECT metadata::text || ' ' || tags::text || ' ' || content_type FROM objects WHERE bucket = 'ceph' AND key = 'photos/a.jpg'")
          .mapTo(String.class).one()))
          .isEqualTo("{\"project\": \"apollo\"} {\"Env\": \"prod\", \"team\": \"blue\"} image/jpeg");
      assertThat(entries(harness)).containsExactly(
          "photos/a.jpg m:project=apollo", "photos/a.jpg t:Env=prod", "photos/a.jpg t:team=blue");

      // An overwrite with other tags, a tagging event (no tag enrichment: nothing changes), a delete.
      harness.sendRaw("ceph/a", message(
          record("ObjectCreated:Put", "photos/a.jpg", 2048, "F7E6D75DC742D10A", "2025-05-01T10:00:02.000Z",
              ",\"metadata\":[{\"key\":\"x-amz-meta-project\",\"val\":\"gemini\"}],\"tags\":[{\"key\":\"Env\",\"val\":\"prod\"}]"),
          record("ObjectTagging:Put", "photos/a.jpg", 0, "F7E6D75DC742D10B", "2025-05-01T10:00:03.000Z", ""),
          record("ObjectRemoved:Delete", "photos/b.jpg", 0, "F7E6D75DC742D10C", "2025-05-01T10:00:04.000Z", "")), 0).get();
      await("the overwrite and the delete are applied").atMost(Duration.ofSeconds(60))
          .until(() -> harness.live("ceph").equals(java.util.Map.of("photos/a.jpg", 2048L)));
      assertThat(indexer.stats().deadLettered()).isZero();
      assertThat(entries(harness)).containsExactly("photos/a.jpg m:project=gemini", "photos/a.jpg t:Env=prod");
      assertThat(harness.database.jdbi().<String, RuntimeException>withHandle(h -> h.createQuery(
              "SELECT sum(objects) || ' ' || sum(bytes) FROM folder_stats WHERE bucket = 'ceph' AND prefix = 'photos/'")
          .mapTo(String.class).one())).isEqualTo("1 2048");
    }
  }
}
