package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
import io.s3index.queryapi.ApiClient;
import io.s3index.queryapi.IndexFixture;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The folder view must list what S3's ListObjectsV2 lists, on the same objects. */
class FolderListingIT {

  private static final String BUCKET = "folders";
  private static IndexFixture index;
  private static ApiClient api;
  private static S3Client s3;
  private static TreeSet<String> allKeys;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("folder_listing_it");
    api = index.startApi();
    S3Server server = TestServers.s3();
    s3 = S3Client.builder()
        .endpointOverride(server.endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(TestServers.s3().accessKey(), TestServers.s3().secretKey())))
        .build();
    s3.createBucket(b -> b.bucket(BUCKET));

    // S3Proxy stores objects as files, so no key may also be a "directory" of other keys ("k"
    // and "k/x"), nor hold an empty segment: directory names here never start with 'f', file
    // names always do. Keys ending in '/' are folder markers, including empty folders.
    TreeSet<String> keys = new TreeSet<>(List.of("top", "folder/", "folder/a", "folder/b/c",
        "folder/b/d/e", "empty/", "a/b", "ab", "x/y/", "x/y/z", "é/1", "é/2/3", "日本/語", "z",
        "a b/c d", "a+b/c", "-dash/x", "dir-1/x", "dir/sub/"));
    Random random = new Random(3);
    String[] dirs = {"d1", "d2", "dé", "日", "d-b"};
    String[] files = {"f1", "f2", "fé", "f-x", "fb"};
    while (keys.size() < 300) {
      StringBuilder key = new StringBuilder(random.nextBoolean() ? "" : "folder/");
      for (int i = 0, depth = random.nextInt(4); i < depth; i++) {
        key.append(dirs[random.nextInt(dirs.length)]).append('/');
      }
      if (key.length() == 0 || random.nextInt(10) > 0) {
        key.append(files[random.nextInt(files.length)]);
      }
      keys.add(key.toString());
    }
    allKeys = keys;
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (String key : keys) {
      s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("x"));
      rows.add(new IndexFixture.Row(BUCKET, key, 1, Instant.parse("2025-01-01T00:00:00Z"), null));
    }
    index.put(rows);
  }

  @AfterAll
  static void stop() {
    s3.close();
    index.close();
  }

  /**
   * S3's rule, as a reference: keys under the prefix, after start_after, where a key holding the
   * delimiter after the prefix rolls up into the common prefix ending at its first delimiter.
   */
  private static List<String> model(String prefix, String delimiter, String startAfter) {
    java.util.LinkedHashSet<String> entries = new java.util.LinkedHashSet<>();
    List<String> sorted = new ArrayList<>(allKeys);
    sorted.sort(FolderListingIT::utf8);
    for (String key : sorted) {
      if (!key.startsWith(prefix)) {
        continue;
      }
      int at = key.indexOf(delimiter, prefix.length());
      String entry = at < 0 ? key : key.substring(0, at + delimiter.length());
      // Every entry, key or common prefix, sorts after start_after.
      if (startAfter == null || utf8(entry, startAfter) > 0) {
        entries.add((at < 0 ? "K " : "P ") + entry);
      }
    }
    return new ArrayList<>(entries);
  }

  private static int utf8(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Keys and common prefixes as ListObjectsV2 gives them, walking all its pages. */
  private static List<String> s3Listing(String prefix, String delimiter) {
    List<String> entries = new ArrayList<>();
    String token = null;
    do {
      String t = token;
      ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)
          .delimiter(delimiter).maxKeys(7).continuationToken(t));
      r.contents().stream().map(S3Object::key).forEach(k -> entries.add("K " + k));
      r.commonPrefixes().stream().map(CommonPrefix::prefix).forEach(p -> entries.add("P " + p));
      token = r.isTruncated() ? r.nextContinuationToken() : null;
    } while (token != null);
    entries.sort((a, b) -> java.util.Arrays.compareUnsigned(
        a.substring(2).getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.substring(2).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return entries;
  }

  private static List<String> entries(JsonNode body) {
    List<String> entries = new ArrayList<>();
    body.path("data").forEach(o -> entries.add("K " + o.path("key").asText()));
    body.path("common_prefixes").forEach(p -> entries.add("P " + p.asText()));
    entries.sort((a, b) -> java.util.Arrays.compareUnsigned(
        a.substring(2).getBytes(java.nio.charset.StandardCharsets.UTF_8),
        b.substring(2).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return entries;
  }

  @ParameterizedTest(name = "prefix=''{0}'' delimiter=''{1}'' page_size={2}")
  @CsvSource(delimiter = '|', value = {
      "|/|1", "|/|3", "|/|1000", "folder/|/|2", "a|/|3", "x/|/|1", "é/|/|5", "|-|4",
      "folder/b/|/|1", "nothing/|/|10", "a/|/|2", "|b|3"})
  void listsTheSameKeysAndCommonPrefixesAsS3(String prefix, String delimiter, int pageSize) {
    String p = prefix == null ? "" : prefix;
    List<String> expected = model(p, delimiter, null);
    if (delimiter.equals("/")) {
      // S3Proxy's file-backed store only takes '/'; where it can answer, it must agree with the model.
      assertThat(s3Listing(p, delimiter)).containsExactlyElementsOf(expected);
    }
    String base = "/v1/buckets/" + BUCKET + "/objects?delimiter=" + ApiClient.q(delimiter)
        + "&prefix=" + ApiClient.q(p) + "&page_size=" + pageSize;

    List<List<String>> pages = new ArrayList<>();
    JsonNode body = api.get(base).body();
    assertThat(body.has("common_prefixes")).isTrue();
    pages.add(entries(body));
    while (body.path("pagination").path("has_next").asBoolean()) {
      body = api.get(base + "&cursor=" + body.path("pagination").path("next_cursor").asText()).body();
      assertThat(body.path("data").size() + body.path("common_prefixes").size()).isLessThanOrEqualTo(pageSize);
      pages.add(entries(body));
    }
    assertThat(pages.stream().flatMap(List::stream).toList()).containsExactlyElementsOf(expected);

    int i = pages.size() - 1;
    while (body.path("pagination").path("has_previous").asBoolean()) {
      body = api.get(base + "&cursor=" + body.path("pagination").path("previous_cursor").asText()).body();
      i--;
      assertThat(entries(body)).as("page %d going back", i).containsExactlyElementsOf(pages.get(i));
    }
    assertThat(i).isZero();

    // Descending order lists the same entries in reverse.
    List<String> descending = new ArrayList<>();
    body = api.get(base + "&sort_order=desc").body();
    descending.addAll(reversedEntries(body));
    while (body.path("pagination").path("has_next").asBoolean()) {
      body = api.get(base + "&sort_order=desc&cursor="
          + body.path("pagination").path("next_cursor").asText()).body();
      descending.addAll(reversedEntries(body));
    }
    List<String> reversed = new ArrayList<>(expected);
    Collections.reverse(reversed);
    assertThat(descending).containsExactlyElementsOf(reversed);
  }

  private static List<String> reversedEntries(JsonNode body) {
    List<String> entries = entries(body);
    Collections.reverse(entries);
    return entries;
  }

  /**
   * Every entry sorts strictly after start_after, as in S3: a start_after inside a folder
   * ("folder/a") does not yield that folder ("folder/") again, though keys after it live there
   * ("folder/b/c"); a start_after naming a folder ("x/y/", "folder/") skips all of it. S3Proxy
   * agrees everywhere.
   */
  @ParameterizedTest
  @CsvSource({"folder/a, true", "x/y/, true", "folder/, true", "folder/b/c, true", "a, true",
      "ab, true", "top, true", "é, true"})
  void everyEntrySortsAfterStartAfter(String startAfter, boolean s3ProxyAgrees) {
    List<String> expected = model("", "/", startAfter);
    if (s3ProxyAgrees) {
      List<String> s3Entries = new ArrayList<>();
      String token = null;
      do {
        String t = token;
        ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(BUCKET).delimiter("/")
            .startAfter(startAfter).continuationToken(t));
        r.contents().forEach(o -> s3Entries.add("K " + o.key()));
        r.commonPrefixes().forEach(cp -> s3Entries.add("P " + cp.prefix()));
        token = r.isTruncated() ? r.nextContinuationToken() : null;
      } while (token != null);
      s3Entries.sort((a, b) -> utf8(a.substring(2), b.substring(2)));
      assertThat(s3Entries).containsExactlyElementsOf(expected);
    }
    JsonNode body = api.get("/v1/buckets/" + BUCKET + "/objects?delimiter=/&page_size=1000&start_after="
        + ApiClient.q(startAfter)).body();
    assertThat(entries(body)).containsExactlyElementsOf(expected);
  }
}
