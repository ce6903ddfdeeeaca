package io.s3index.queryapi.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.s3index.queryapi.IndexFixture;
import io.s3index.queryapi.MutableClock;
import io.s3index.queryapi.access.AccessKeys;
import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The S3-compatible endpoint driven by a client we did not write, the AWS SDK for Java v2: its
 * V2 paginator over every listing parameter, V1 with markers, HeadObject, ListBuckets,
 * HeadBucket, GetBucketLocation, presigned URLs, GetObject through the origin, and S3's errors for
 * a wrong secret, an unknown key, a skewed clock and a prefix outside the key's scope.
 */
class S3EndpointIT {

  private static final String BUCKET = "s3it";
  private static final String FULL_ID = "AKIAFULLACCESS";
  private static final String FULL_SECRET = "full-secret-0123456789";
  private static final String PHOTOS_ID = "AKIAPHOTOSONLY";
  private static final String PHOTOS_SECRET = "photos-secret-0123456789";
  private static final Instant MODIFIED = Instant.parse("2025-03-04T05:06:07.890Z");

  private static IndexFixture index;
  private static S3Server origin;
  private static int port;
  private static int skewedPort;
  private static int openPort;
  private static MutableClock skewedClock;
  private static S3Client s3;
  private static TreeSet<String> keys;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("s3_endpoint_it");
    keys = new TreeSet<>(List.of("photos/a.jpg", "photos/b c.png", "photos/2024/x.jpg", "docs/",
        "docs/readme", "a+b", "a b", "100%", "é", "\uD83D\uDE00/x", "\uD83D\uDE00", "dir//double",
        "k", "k/x", "ab", "abc", "x-y/z", "日本/語", "a&b<c>", "tab\there", "q?x=1", "~tilde"));
    Random random = new Random(11);
    String[] parts = {"p", "q/", "r-", "é", "/", "s t"};
    while (keys.size() < 260) {
      StringBuilder k = new StringBuilder();
      for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
        k.append(parts[random.nextInt(parts.length)]);
      }
      keys.add(k.toString());
    }
    List<IndexFixture.Row> rows = new ArrayList<>();
    keys.forEach(k -> rows.add(new IndexFixture.Row(BUCKET, k, k.length(), MODIFIED, null)));
    rows.add(new IndexFixture.Row("other", "o1", 1, MODIFIED, null));
    rows.add(new IndexFixture.Row("emptied", "gone", 1, MODIFIED, null));
    IntStream.range(0, 1100).forEach(i -> rows.add(
        new IndexFixture.Row("big", String.format("k%05d", i), i, MODIFIED, null)));
    index.put(rows);
    index.delete("emptied", "gone");
    index.database().jdbi().useHandle(h -> h.execute("""
        UPDATE objects SET metadata = '{"color": "blue", "note": "café"}', content_type = 'image/jpeg',
               version_id = 'v-1', storage_class = 'STANDARD_IA', etag = 'abc123'
        WHERE bucket = 's3it' AND key = 'photos/a.jpg'"""));

    origin = TestServers.s3();
    try (S3Client store = client(origin.endpoint(), origin.accessKey(), origin.secretKey())) {
      store.createBucket(b -> b.bucket(BUCKET));
      store.putObject(b -> b.bucket(BUCKET).key("photos/a.jpg"), RequestBody.fromString("hello, origin"));
    }
    AccessKeys accessKeys = AccessKeys.parse(FULL_ID + " " + FULL_SECRET + " *;"
        + PHOTOS_ID + " " + PHOTOS_SECRET + " s3it/photos/");
    S3ApiConfig keyed = S3ApiConfig.open(0).withKeys(accessKeys).withOrigin(new S3ApiConfig.Origin(
        origin.endpoint(), origin.accessKey(), origin.secretKey(), "us-east-1"));
    port = index.startS3(keyed, Clock.systemUTC());
    skewedClock = new MutableClock(Instant.now().plus(Duration.ofHours(1)));
    skewedPort = index.startS3(keyed, skewedClock);
    openPort = index.startS3(S3ApiConfig.open(0).withDomain("s3.test"), Clock.systemUTC());
    s3 = client(endpoint(port), FULL_ID, FULL_SECRET);
  }

  @AfterAll
  static void stop() {
    s3.close();
    index.close();
  }

  static URI endpoint(int p) {
    return URI.create("http://127.0.0.1:" + p);
  }

  static S3Client client(URI endpoint, String id, String secret) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret)))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private static String nullIfEmpty(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @ParameterizedTest(name = "prefix=''{0}'' delimiter=''{1}'' start-after=''{2}'' max-keys={3} url={4}")
  @CsvSource(delimiter = '|', value = {
      "||||1000|false", "||||7|false", "|/|||3|false", "|/|||1|true", "photos/|/|||2|false",
      "photos/|/|photos/2024/||1|false", "|/|k||2|false", "|/|docs/||4|true", "a|||a b|5|true",
      "|é||é|3|false", "|s t||p|6|true", "q/|/||q/p|2|false", "||\uD83D\uDE00|\uD83D\uDE00|9|true",
      "|//|||4|false", "p|q/||p|3|true", "nothing/|/|||10|false"})
  void theV2PaginatorListsWhatS3Documents(String prefix, String delimiter, String startAfter,
      String ignored, int maxKeys, boolean url) {
    List<String> expected = S3Model.entries(keys, prefix, delimiter, startAfter);
    ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(BUCKET)
        .prefix(nullIfEmpty(prefix)).delimiter(nullIfEmpty(delimiter)).startAfter(nullIfEmpty(startAfter))
        .maxKeys(maxKeys).fetchOwner(true);
    if (url) {
      request.encodingType(EncodingType.URL);
    }
    List<List<String>> pages = new ArrayList<>();
    for (ListObjectsV2Response page : s3.listObjectsV2Paginator(request.build())) {
      // The SDK decodes url-encoded answers; the raw encoding is checked below.
      List<String> entries = S3Model.merged(page.contents().stream().map(S3Object::key).toList(),
          page.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
      assertThat(page.keyCount()).isEqualTo(entries.size());
      assertThat(page.maxKeys()).isEqualTo(maxKeys);
      page.contents().forEach(o -> {
        assertThat(o.owner()).as("fetch-owner").isNotNull();
        assertThat(o.size()).isEqualTo(o.key().length());
        assertThat(o.lastModified()).isEqualTo(MODIFIED);
        assertThat(o.eTag()).startsWith("\"").endsWith("\"");
      });
      pages.add(entries);
    }
    assertThat(pages).containsExactlyElementsOf(S3Model.pages(expected, maxKeys));
  }

  @ParameterizedTest(name = "prefix=''{0}'' delimiter=''{1}'' marker=''{2}'' max-keys={3}")
  @CsvSource(delimiter = '|', value = {"|||3", "|/||2", "photos/|/||1", "|/|k|4", "|/|docs/|2", "|é|é|5"})
  void v1WalksWithMarkers(String prefix, String delimiter, String marker, int maxKeys) {
    List<String> expected = S3Model.entries(keys, prefix, delimiter, marker);
    List<String> walked = new ArrayList<>();
    String next = nullIfEmpty(marker);
    int guard = 0;
    while (guard++ < 1000) {
      String m = next;
      ListObjectsResponse page = s3.listObjects(b -> b.bucket(BUCKET).prefix(nullIfEmpty(prefix))
          .delimiter(nullIfEmpty(delimiter)).marker(m).maxKeys(maxKeys));
      List<String> entries = S3Model.merged(page.contents().stream().map(S3Object::key).toList(),
          page.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
      assertThat(entries.size()).isLessThanOrEqualTo(maxKeys);
      walked.addAll(entries);
      if (!page.isTruncated()) {
        break;
      }
      if (nullIfEmpty(delimiter) != null) {
        assertThat(page.nextMarker()).isEqualTo(entries.get(entries.size() - 1).substring(2));
        next = page.nextMarker();
      } else {
        assertThat(page.nextMarker()).as("NextMarker only with a delimiter").isNull();
        next = page.contents().get(page.contents().size() - 1).key();
      }
    }
    assertThat(walked).containsExactlyElementsOf(expected);
  }

  @Test
  void maxKeysZeroIsEmptyAndUntruncatedAndLargeValuesAreCappedAt1000() {
    ListObjectsV2Response none = s3.listObjectsV2(b -> b.bucket("big").maxKeys(0));
    assertThat(none.contents()).isEmpty();
    assertThat(none.isTruncated()).isFalse();
    assertThat(none.keyCount()).isZero();
    ListObjectsV2Response capped = s3.listObjectsV2(b -> b.bucket("big").maxKeys(5000));
    assertThat(capped.contents()).hasSize(1000);
    assertThat(capped.isTruncated()).isTrue();
    ListObjectsV2Response rest = s3.listObjectsV2(b -> b.bucket("big").continuationToken(capped.nextContinuationToken()));
    assertThat(rest.contents()).hasSize(100);
    assertThat(rest.contents().get(0).key()).isEqualTo("k01000");
    assertThat(rest.isTruncated()).isFalse();

    assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket("big").continuationToken("not-a-token")))
        .isInstanceOfSatisfying(S3Exception.class, e -> {
          assertThat(e.statusCode()).isEqualTo(400);
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidArgument");
        });
    // A token is bound to its request: another prefix refuses it.
    assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket("big").prefix("k0")
            .continuationToken(capped.nextContinuationToken())))
        .isInstanceOf(S3Exception.class);
  }

  @Test
  void headObjectAnswersFromTheIndex() {
    HeadObjectResponse head = s3.headObject(b -> b.bucket(BUCKET).key("photos/a.jpg"));
    assertThat(head.contentLength()).isEqualTo("photos/a.jpg".length());
    assertThat(head.eTag()).isEqualTo("\"abc123\"");
    assertThat(head.contentType()).isEqualTo("image/jpeg");
    assertThat(head.lastModified()).isEqualTo(Instant.parse("2025-03-04T05:06:07Z"));
    assertThat(head.metadata()).containsEntry("color", "blue").containsKey("note");
    assertThat(head.storageClassAsString()).isEqualTo("STANDARD_IA");
    assertThat(head.versionId()).isEqualTo("v-1");

    HeadObjectResponse odd = s3.headObject(b -> b.bucket(BUCKET).key("dir//double"));
    assertThat(odd.contentLength()).isEqualTo("dir//double".length());
    assertThat(s3.headObject(b -> b.bucket(BUCKET).key("\uD83D\uDE00/x")).contentLength())
        .isEqualTo("\uD83D\uDE00/x".length());

    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("photos/none")))
        .isInstanceOfSatisfying(NoSuchKeyException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket("never-seen").key("x")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("photos/a.jpg").ifNoneMatch("\"abc123\"")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(304));
    assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key("photos/a.jpg").ifMatch("\"other\"")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
  }

  @Test
  void bucketsAreThoseTheKeyMayReadAndAnEmptiedBucketStillExists() {
    assertThat(s3.listBuckets().buckets().stream().map(Bucket::name))
        .contains(BUCKET, "other", "emptied", "big");
    try (S3Client photos = client(endpoint(port), PHOTOS_ID, PHOTOS_SECRET)) {
      assertThat(photos.listBuckets().buckets().stream().map(Bucket::name)).containsExactly(BUCKET);
      photos.headBucket(b -> b.bucket(BUCKET));
      assertThatThrownBy(() -> photos.headBucket(b -> b.bucket("other")))
          .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
    }
    ListObjectsV2Response emptied = s3.listObjectsV2(b -> b.bucket("emptied"));
    assertThat(emptied.contents()).isEmpty();
    s3.headBucket(b -> b.bucket("emptied"));
    assertThat(s3.getBucketLocation(b -> b.bucket(BUCKET)).locationConstraintAsString()).isEmpty();
    assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket("never-seen")))
        .isInstanceOfSatisfying(NoSuchBucketException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> s3.headBucket(b -> b.bucket("never-seen")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
  }

  @Test
  void getObjectStreamsFromTheOriginAndPresignedUrlsWork() throws Exception {
    ResponseBytes<GetObjectResponse> whole = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("photos/a.jpg"));
    assertThat(whole.asUtf8String()).isEqualTo("hello, origin");
    ResponseBytes<GetObjectResponse> part = s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("photos/a.jpg").range("bytes=7-12"));
    assertThat(part.asUtf8String()).isEqualTo("origin");
    assertThat(part.response().contentRange()).isEqualTo("bytes 7-12/13");

    try (S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint(port)).region(Region.US_EAST_1)
        .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(PHOTOS_ID, PHOTOS_SECRET)))
        .build()) {
      URI url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
          .getObjectRequest(g -> g.bucket(BUCKET).key("photos/a.jpg"))).url().toURI();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> got = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(got.statusCode()).isEqualTo(200);
      assertThat(got.body()).isEqualTo("hello, origin");

      URI tampered = URI.create(url.toString().replace("photos%2Fa.jpg", "photos%2Fb.jpg").replace("photos/a.jpg", "photos/b.jpg"));
      HttpResponse<String> refused = http.send(HttpRequest.newBuilder(tampered).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.body()).contains("<Code>SignatureDoesNotMatch</Code>");

    }
    // A URL valid for 5 minutes, presented to an endpoint whose clock is an hour later, has expired.
    try (S3Presigner late = S3Presigner.builder().endpointOverride(endpoint(skewedPort)).region(Region.US_EAST_1)
        .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(PHOTOS_ID, PHOTOS_SECRET)))
        .build()) {
      URI url = late.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
          .getObjectRequest(g -> g.bucket(BUCKET).key("photos/a.jpg"))).url().toURI();
      HttpResponse<String> expired = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(expired.statusCode()).isEqualTo(403);
      assertThat(expired.body()).contains("<Code>AccessDenied</Code>").contains("expired");
    }
    // Signature Version 2 query authentication is refused with S3's words, anonymous access denied.
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> v2 = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/s3it/photos/a.jpg?AWSAccessKeyId=" + FULL_ID + "&Signature=abc%3D&Expires=1796087572")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(v2.statusCode()).isEqualTo(400);
    assertThat(v2.body()).contains("<Code>InvalidRequest</Code>").contains("AWS4-HMAC-SHA256");
    HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/s3it?list-type=2")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(403);
    assertThat(anonymous.body()).contains("<Code>AccessDenied</Code>");
  }

  @Test
  void wrongSecretUnknownKeySkewedClockAndOutOfScopePrefixGetS3sErrors() {
    try (S3Client wrong = client(endpoint(port), FULL_ID, "not-the-secret-at-all")) {
      assertThatThrownBy(() -> wrong.listObjectsV2(b -> b.bucket(BUCKET)))
          .isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
          });
    }
    try (S3Client unknown = client(endpoint(port), "AKIANOBODY", "whatever-secret-123")) {
      assertThatThrownBy(() -> unknown.listObjectsV2(b -> b.bucket(BUCKET)))
          .isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidAccessKeyId");
          });
    }
    try (S3Client skewed = client(endpoint(skewedPort), FULL_ID, FULL_SECRET)) {
      assertThatThrownBy(() -> skewed.listObjectsV2(b -> b.bucket(BUCKET)))
          .isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("RequestTimeTooSkewed");
          });
    }
    try (S3Client photos = client(endpoint(port), PHOTOS_ID, PHOTOS_SECRET)) {
      assertThat(photos.listObjectsV2(b -> b.bucket(BUCKET).prefix("photos/")).contents()).isNotEmpty();
      assertThatThrownBy(() -> photos.listObjectsV2(b -> b.bucket(BUCKET)))
          .isInstanceOfSatisfying(S3Exception.class, e -> {
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
          });
      assertThatThrownBy(() -> photos.listObjectsV2(b -> b.bucket(BUCKET).prefix("docs/")))
          .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDenied"));
      assertThatThrownBy(() -> photos.headObject(b -> b.bucket(BUCKET).key("docs/readme")))
          .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
    }
  }

  @Test
  void operationsNotServedAreNotImplemented() {
    assertThatThrownBy(() -> s3.putObject(b -> b.bucket(BUCKET).key("new"), RequestBody.fromString("x")))
        .isInstanceOfSatisfying(S3Exception.class, e -> {
          assertThat(e.statusCode()).isEqualTo(501);
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NotImplemented");
        });
    assertThatThrownBy(() -> s3.deleteObject(b -> b.bucket(BUCKET).key("k")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(501));
    assertThatThrownBy(() -> s3.getBucketAcl(b -> b.bucket(BUCKET)))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(501));
  }

  /** Raw requests to the open endpoint: virtual-hosted style, the url encoding as sent, the error document. */
  @Test
  void virtualHostedStyleAndTheRawDocuments() throws Exception {
    String listing = raw("s3it.s3.test", "/?list-type=2&prefix=a&encoding-type=url&max-keys=4");
    assertThat(listing).startsWith("HTTP/1.1 200").contains("<Name>s3it</Name>")
        .contains("<Key>a+b</Key>").contains("<Key>a%2Bb</Key>").contains("<Key>a%26b%3Cc%3E</Key>")
        .contains("<EncodingType>url</EncodingType>").contains("<KeyCount>4</KeyCount>");
    String plain = raw("127.0.0.1", "/s3it?list-type=2&prefix=a%26&max-keys=4");
    assertThat(plain).contains("<Key>a&amp;b&lt;c&gt;</Key>");
    String missing = raw("nope.s3.test", "/?list-type=2");
    assertThat(missing).startsWith("HTTP/1.1 404").contains("<Code>NoSuchBucket</Code>")
        .contains("<BucketName>nope</BucketName>");
    String tab = raw("127.0.0.1", "/s3it?prefix=tab");
    assertThat(tab).contains("<Key>tab\there</Key>").contains("<Marker></Marker>");
  }

  private static String raw(String host, String target) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", openPort)) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
        return in.lines().collect(Collectors.joining("\n"));
      }
    }
  }

  static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
