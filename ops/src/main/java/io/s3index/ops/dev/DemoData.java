package io.s3index.ops.dev;

import io.s3index.shared.events.ETags;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s3index.embedded.EmbeddedS3;
import io.s3index.shared.events.EventPublisher;
import io.s3index.shared.events.ObjectEvent;
import io.s3index.shared.events.Sequencer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Sample data for {@code ops dev --demo}: uploads objects to the embedded S3 server, then emits
 * the events a bucket notification would have sent, so the API answers with data at once.
 */
final class DemoData {

  private static final String[] FOLDERS = {"photos/2024/", "photos/2025/", "docs/", "logs/app/",
      "music/", "videos/", ""};
  private static final String[][] KINDS = {
      {"jpg", "image/jpeg"}, {"png", "image/png"}, {"pdf", "application/pdf"},
      {"txt", "text/plain"}, {"json", "application/json"}, {"mp3", "audio/mpeg"}};

  private final URI s3Endpoint;
  private final String bootstrapServers;
  private final String topic;
  private final PrintWriter out;

  DemoData(URI s3Endpoint, String bootstrapServers, String topic, PrintWriter out) {
    this.s3Endpoint = s3Endpoint;
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.out = out;
  }

  void load(String bucket, int count) {
    out.println("Demo: uploading " + count + " objects to bucket '" + bucket + "' and emitting their events ...");
    out.flush();
    Random random = new Random(42);
    Instant start = Instant.now();
    long baseMicros = start.getEpochSecond() * 1_000_000L + start.getNano() / 1_000;
    List<ObjectEvent> events = new ArrayList<>(count);
    try (S3Client s3 = S3Client.builder()
        .endpointOverride(s3Endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY)))
        .build()) {
      s3.createBucket(b -> b.bucket(bucket));
      for (int i = 0; i < count; i++) {
        String folder = FOLDERS[i % FOLDERS.length];
        String[] kind = KINDS[random.nextInt(KINDS.length)];
        String name = String.format(Locale.ROOT, "%s%s %03d.%s", folder,
            i % 10 == 0 ? "résumé" : "file", i, kind[0]);
        byte[] body = new byte[random.nextInt(4096) + 1];
        random.nextBytes(body);
        PutObjectResponse put = s3.putObject(
            b -> b.bucket(bucket).key(name).contentType(kind[1]).metadata(
                java.util.Map.of("source", "demo")),
            RequestBody.fromBytes(body));
        Instant time = start.plusMillis(i);
        events.add(new ObjectEvent(bucket, name, ObjectEvent.Kind.CREATED, body.length,
            stripQuotes(put.eTag()), null,
            Sequencer.normalize(String.format(Locale.ROOT, "%016X", baseMicros + i)), time,
            "ObjectCreated:Put"));
      }
    }
    try (EventPublisher publisher = new EventPublisher(bootstrapServers, topic)) {
      publisher.publishAll(events, Duration.ofSeconds(30));
    }
  }

  /** Polls the API until the bucket lists the demo objects, or gives up after a minute. */
  static int awaitIndexed(String apiUrl, String bucket, int expected, PrintWriter out) {
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper mapper = new ObjectMapper();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    int seen = 0;
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
            URI.create(apiUrl + "/v1/buckets/" + bucket + "/objects?page_size=1000")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        JsonNode body = mapper.readTree(response.body());
        seen = body.path("data").size();
        if (response.statusCode() == 200 && seen >= expected) {
          break;
        }
        Thread.sleep(200);
      } catch (IOException e) {
        out.println("Demo: API not answering yet (" + e.getMessage() + ")");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return seen;
      }
    }
    out.println("Demo: " + seen + " objects indexed in bucket '" + bucket + "'.");
    out.flush();
    return seen;
  }

  private static String stripQuotes(String etag) {
    return ETags.normalize(etag);
  }
}
