package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.indexer.Indexer;
import io.s3index.indexer.IndexerConfig;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.ApiConfig;
import io.s3index.queryapi.QueryApi;
import io.s3index.shared.db.Database;
import io.s3index.shared.db.DatabaseConfig;
import io.s3index.testing.ContainerServers;
import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.s3.model.QueueConfiguration;

/**
 * MinIO's own bucket notifications, end to end: uploads and deletes made with the AWS SDK against a
 * MinIO container reach the Kafka container through MinIO's Kafka target, and the indexer puts them
 * in the API. The one place MinIO's real payloads are tested. Runs only on Testcontainers
 * ({@code -Ds3index.servers=containers}, or a Docker engine present); the embedded S3 server
 * (S3Proxy) sends no notifications.
 */
class MinioNotificationsIT {

  private static final String BUCKET = "minio-notified";

  @Test
  void uploadsAndDeletesMadeWithTheSdkAppearInTheApi() {
    Assumptions.assumeTrue(TestServers.mode() == TestServers.Mode.CONTAINERS,
        "MinIO's notifications need the container servers (-Ds3index.servers=containers)");
    S3Server minio = TestServers.s3();
    TestServers.kafka().createTopic(ContainerServers.MINIO_TOPIC, 1);
    DatabaseConfig db = TestServers.postgres().createDatabase("minio_notifications");
    try (S3Client s3 = S3Client.builder().endpointOverride(minio.endpoint()).region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(StaticCredentialsProvider.create(
                AwsBasicCredentials.create(minio.accessKey(), minio.secretKey())))
            .build();
         Database database = new Database(db, "minio-it");
         Indexer indexer = Indexer.start(IndexerConfig.of(TestServers.kafka().bootstrapServers(),
             ContainerServers.MINIO_TOPIC, db).withGroupId("minio-it"), database);
         QueryApi api = QueryApi.start(ApiConfig.of("127.0.0.1", 0, db), database)) {
      s3.createBucket(b -> b.bucket(BUCKET));
      s3.putBucketNotificationConfiguration(b -> b.bucket(BUCKET).notificationConfiguration(n -> n
          .queueConfigurations(QueueConfiguration.builder()
              .queueArn("arn:minio:sqs::" + ContainerServers.MINIO_TARGET + ":kafka")
              .events(Event.S3_OBJECT_CREATED, Event.S3_OBJECT_REMOVED)
              .build())));
      for (int i = 0; i < 5; i++) {
        String key = "photos/" + i + " é.jpg";
        s3.putObject(b -> b.bucket(BUCKET).key(key).contentType("image/jpeg"), RequestBody.fromString("x".repeat(i + 1)));
      }
      s3.deleteObject(b -> b.bucket(BUCKET).key("photos/0 é.jpg"));

      ApiClient client = new ApiClient(api.port());
      await("MinIO's events are indexed").atMost(Duration.ofSeconds(60))
          .until(() -> indexer.stats().records() >= 6);
      await("MinIO's events are in the API").atMost(Duration.ofSeconds(60))
          .until(() -> keys(client.get("/v1/buckets/" + BUCKET + "/objects").body())
              .equals(List.of("photos/1 é.jpg", "photos/2 é.jpg", "photos/3 é.jpg", "photos/4 é.jpg")));
      JsonNode one = client.get("/v1/buckets/" + BUCKET + "/objects/" + ApiClient.path("photos/4 é.jpg")).body();
      assertThat(one.get("size").asLong()).isEqualTo(5);
      assertThat(one.get("etag").asText()).isEqualTo(
          s3.headObject(b -> b.bucket(BUCKET).key("photos/4 é.jpg")).eTag().replace("\"", ""));
    }
  }

  private static List<String> keys(JsonNode page) {
    List<String> keys = new ArrayList<>();
    page.get("data").forEach(o -> keys.add(o.get("key").asText()));
    return keys;
  }
}
