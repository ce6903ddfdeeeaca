package io.s3index.queryapi.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.queryapi.IndexFixture;
import io.s3index.testing.S3Server;
import io.s3index.testing.TestServers;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The same keys in the embedded S3 server (S3Proxy) and in the index, listed through both with
 * the AWS SDK, compared page by page for many (prefix, delimiter, start-after, max-keys)
 * combinations. Where S3Proxy departs from AWS's documented behaviour, the comparison is with the
 * documented behaviour ({@link S3Model}) instead, and the departure is shown:
 *
 * <ul>
 *   <li>its in-memory store keeps objects as files, so it refuses (or loses) keys that are both a
 *       file and a folder of others ("k" and "k/x") and keys with an empty segment ("a//b");
 *   <li>it orders keys above U+FFFF by UTF-16, not UTF-8 bytes;
 *   <li>it takes no delimiter but "/";
 *   <li>it folds an empty path segment in a prefix ("dir//" lists "dir/x").
 * </ul>
 */
class S3DifferentialIT {

  private static final String BUCKET = "differential";
  private static final String ALL = "documented";
  private static final Instant MODIFIED = Instant.parse("2025-06-01T00:00:00Z");
  private static final String GRIN = "\uD83D\uDE00";

  private static IndexFixture index;
  private static S3Client store;
  private static S3Client endpoint;
  /** Keys S3Proxy holds (those it accepts, none above U+FFFF): in both, compared with S3Proxy. */
  private static TreeSet<String> shared;
  /** Every awkward key: in the index only, compared with the documented behaviour. */
  private static TreeSet<String> all;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("s3_differential_it");
    S3Server server = TestServers.s3();
    store = S3EndpointIT.client(server.endpoint(), server.accessKey(), server.secretKey());
    store.createBucket(b -> b.bucket(BUCKET));
    all = new TreeSet<>(List.of("a b", "a+b", "a%20b", "100%", "%", "a", "ab", "abc", "ab/c", "a/b",
        "a//b", "//lead", "dir//x", "dir/x", "dir/", "k", "k/x", "k/x/y", "é", "é/1", "e\u0301",
        GRIN, GRIN + "/a", "\uFFFD", "\uFFFC", "z" + GRIN, "zz", "x-y", "x-y-z", "x--y", "q?x=1",
        "a&b", "tab\tkey", "~", "日本/語/x", "日本語", "lead space", " lead", "trail "));
    Random random = new Random(7);
    String[] parts = {"a", "b", "/", "é", "-", " ", "x/", "ab", "+", "%"};
    while (all.size() < 220) {
      StringBuilder k = new StringBuilder();
      for (int i = 0, n = 1 + random.nextInt(5); i < n; i++) {
        k.append(parts[random.nextInt(parts.length)]);
      }
      all.add(k.toString());
    }
    List<String> refused = new ArrayList<>();
    for (String key : all) {
      if (key.codePoints().anyMatch(Character::isSupplementaryCodePoint)) {
        continue;
      }
      try {
        store.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("x"));
      } catch (S3Exception e) {
        refused.add(key);
      }
    }
    shared = new TreeSet<>();
    String token = null;
    do {
      String t = token;
      ListObjectsV2Response r = store.listObjectsV2(b -> b.bucket(BUCKET).continuationToken(t));
      r.contents().forEach(o -> shared.add(o.key()));
      token = r.isTruncated() ? r.nextContinuationToken() : null;
    } while (token != null);
    System.out.printf("S3DifferentialIT: %d keys; S3Proxy holds %d (refused %d, lost %d: file-store conflicts)%n",
        all.size(), shared.size(), refused.size(), all.size() - shared.size() - refused.size());

    List<IndexFixture.Row> rows = new ArrayList<>();
    shared.forEach(k -> rows.add(new IndexFixture.Row(BUCKET, k, 1, MODIFIED, null)));
    all.forEach(k -> rows.add(new IndexFixture.Row(ALL, k, 1, MODIFIED, null)));
    index.put(rows);
    endpoint = S3EndpointIT.client(S3EndpointIT.endpoint(index.startS3(S3ApiConfig.open(0), Clock.systemUTC())),
        "any", "any-secret-at-all");
  }

  @AfterAll
  static void stop() {
    endpoint.close();
    store.close();
    index.close();
  }

  /** The pages of a complete V2 walk: each page's entries, keys and common prefixes in byte order. */
  private static List<List<String>> walk(S3Client client, String bucket, String prefix, String delimiter,
      String startAfter, int maxKeys) {
    List<List<String>> pages = new ArrayList<>();
    ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
        .delimiter(delimiter).startAfter(startAfter).maxKeys(maxKeys).build();
    for (ListObjectsV2Response page : client.listObjectsV2Paginator(request)) {
      pages.add(S3Model.merged(page.contents().stream().map(S3Object::key).toList(),
          page.commonPrefixes().stream().map(CommonPrefix::prefix).toList()));
      assertThat(page.keyCount()).isEqualTo(pages.get(pages.size() - 1).size());
    }
    return pages;
  }

  /** Combinations from a seed: prefixes, start-afters and page sizes that cut folders and keys. */
  static Stream<Arguments> combinations(boolean slashOnly) {
    // S3Proxy's file store folds an empty path segment: it lists "dir/x" for the prefix "dir//".
    String[] prefixes = slashOnly
        ? new String[] {null, "a", "a/", "dir/", "k", "k/", "é", "x", "ab", " ", "日本/", "nothing"}
        : new String[] {null, "a", "a/", "dir/", "dir//", "k", "k/", "é", "x", "ab", " ", "日本/", "nothing", "/"};
    String[] delimiters = slashOnly ? new String[] {null, "/"}
        : new String[] {null, "/", "//", "ab", "-", "é", GRIN, " ", "x/"};
    int[] sizes = {1, 2, 3, 5, 1000};
    List<String> keys = new ArrayList<>(slashOnly ? sharedKeys() : allKeys());
    Random random = new Random(slashOnly ? 101 : 202);
    List<Arguments> combos = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String startAfter = switch (random.nextInt(4)) {
        case 0 -> null;
        case 1 -> keys.get(random.nextInt(keys.size()));
        case 2 -> keys.get(random.nextInt(keys.size())) + (random.nextBoolean() ? "/" : " ");
        default -> keys.get(random.nextInt(keys.size())).substring(0, 1);
      };
      combos.add(Arguments.of(prefixes[random.nextInt(prefixes.length)],
          delimiters[random.nextInt(delimiters.length)], startAfter, sizes[random.nextInt(sizes.length)]));
    }
    return combos.stream();
  }

  static Stream<Arguments> sharedCombinations() {
    return combinations(true);
  }

  static Stream<Arguments> documentedCombinations() {
    return combinations(false);
  }

  // The argument sources run before @BeforeAll: they draw start-afters from the literal keys.
  private static List<String> sharedKeys() {
    return List.of("a b", "a+b", "100%", "a", "ab", "abc", "dir/x", "é", "k/x/y", "x-y", "zz", "日本/語/x", "~");
  }

  private static List<String> allKeys() {
    List<String> k = new ArrayList<>(sharedKeys());
    k.addAll(List.of("a//b", "//lead", GRIN + "/a", "z" + GRIN, "\uFFFD", "k", "dir//x"));
    return k;
  }

  @ParameterizedTest(name = "[{index}] prefix=''{0}'' delimiter=''{1}'' start-after=''{2}'' max-keys={3}")
  @MethodSource("sharedCombinations")
  void pagesEqualS3ProxysAndTheDocumentedListing(String prefix, String delimiter, String startAfter, int maxKeys) {
    List<List<String>> ours = walk(endpoint, BUCKET, prefix, delimiter, startAfter, maxKeys);
    List<List<String>> theirs = walk(store, BUCKET, prefix, delimiter, startAfter, maxKeys);
    assertThat(ours).as("page by page, as S3Proxy").containsExactlyElementsOf(theirs);
    assertThat(ours).as("page by page, as documented")
        .containsExactlyElementsOf(S3Model.pages(S3Model.entries(shared, prefix, delimiter, startAfter), maxKeys));
  }

  @ParameterizedTest(name = "[{index}] prefix=''{0}'' delimiter=''{1}'' start-after=''{2}'' max-keys={3}")
  @MethodSource("documentedCombinations")
  void pagesOfEveryAwkwardKeyEqualTheDocumentedListing(String prefix, String delimiter, String startAfter,
      int maxKeys) {
    assertThat(walk(endpoint, ALL, prefix, delimiter, startAfter, maxKeys))
        .containsExactlyElementsOf(S3Model.pages(S3Model.entries(all, prefix, delimiter, startAfter), maxKeys));
  }

  /**
   * Where S3Proxy departs: keys above U+FFFF. AWS lists in UTF-8 byte order, so U+FFFD (EF BF
   * BD) sorts before U+1F600 (F0 9F 98 80); S3Proxy compares UTF-16 code units, where the
   * surrogate D83D sorts before FFFD. The endpoint follows AWS.
   */
  @Test
  void keysAboveUffffSortInUtf8ByteOrderAsAwsDocuments() {
    store.createBucket(b -> b.bucket("astral"));
    for (String key : List.of("\uFFFD", GRIN, "z")) {
      store.putObject(b -> b.bucket("astral").key(key), RequestBody.fromString("x"));
    }
    index.put(List.of(new IndexFixture.Row("astral", "\uFFFD", 1, MODIFIED, null),
        new IndexFixture.Row("astral", GRIN, 1, MODIFIED, null),
        new IndexFixture.Row("astral", "z", 1, MODIFIED, null)));
    List<String> ours = endpoint.listObjectsV2(b -> b.bucket("astral")).contents().stream().map(S3Object::key).toList();
    List<String> theirs = store.listObjectsV2(b -> b.bucket("astral")).contents().stream().map(S3Object::key).toList();
    assertThat(ours).containsExactly("z", "\uFFFD", GRIN);
    // S3Proxy's departure, shown: the same keys in UTF-16 order.
    assertThat(theirs).containsExactly("z", GRIN, "\uFFFD");
  }
}
