package io.s3index.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.ops.dev.DevStack;
import io.s3index.queryapi.ApiClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/** What {@code ops dev --demo} runs: the whole stack in one process, with data at once. */
class DevStackIT {

  @Test
  void startsEverythingLoadsTheDemoAndStopsCleanly() {
    StringWriter log = new StringWriter();
    try (DevStack stack = DevStack.start(new DevStack.Options(0, 0, 0, 0, -1, "dev-events", null, 0))) {
      int indexed = stack.loadDemo("demo", 300, new PrintWriter(log, true));
      assertThat(indexed).isEqualTo(300);
      ApiClient client = new ApiClient(URI.create(stack.apiUrl()).getPort());
      ApiClient.Response page = client.get("/v1/buckets/demo/objects?page_size=5&prefix=photos/");
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.body().path("data")).hasSize(5);
      assertThat(page.body().path("data").get(0).path("key").asText()).startsWith("photos/");
      assertThat(page.body().path("pagination").path("has_next").asBoolean()).isTrue();

      // The S3-compatible endpoint, open, with GetObject from the embedded S3 server.
      try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(stack.s3ApiUrl()))
          .region(Region.US_EAST_1).forcePathStyle(true)
          .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "any-secret")))
          .build()) {
        int listed = 0;
        for (ListObjectsV2Response p : s3.listObjectsV2Paginator(b -> b.bucket("demo").maxKeys(70))) {
          listed += p.keyCount();
        }
        assertThat(listed).isEqualTo(300);
        String key = s3.listObjectsV2(b -> b.bucket("demo").prefix("photos/").maxKeys(1)).contents().get(0).key();
        long size = s3.headObject(b -> b.bucket("demo").key(key)).contentLength();
        assertThat(s3.getObjectAsBytes(b -> b.bucket("demo").key(key)).asByteArray()).hasSize((int) size);
      }
    }
    assertThat(log.toString()).contains("300 objects indexed");
  }
}
