package io.s3index.indexer.enrich;

import java.net.URI;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How to reach the object store. {@code endpoint} null means AWS itself; null keys mean the
 * SDK's default credential chain. The secret key is never printed.
 */
public record S3Settings(URI endpoint, String region, String accessKey, String secretKey,
    boolean pathStyle) {

  public S3Settings {
    Objects.requireNonNull(region, "region");
  }

  /** A client with the SDK's standard retries (exponential backoff with jitter). */
  // The SDK deprecates its Apache 4 client for the Apache 5 one in a separate artifact; until that
  // artifact is chosen and pinned, this one keeps the connection pool size we need.
  @SuppressWarnings("deprecation")
  public S3Client client(int maxConnections) {
    var builder = S3Client.builder()
        .region(Region.of(region))
        .forcePathStyle(pathStyle)
        .httpClientBuilder(software.amazon.awssdk.http.apache.ApacheHttpClient.builder()
            .maxConnections(maxConnections))
        .overrideConfiguration(c -> c.retryStrategy(RetryMode.STANDARD))
        .credentialsProvider(accessKey == null
            ? DefaultCredentialsProvider.builder().build()
            : StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder.build();
  }

  @Override
  public String toString() {
    return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle + "]";
  }
}
