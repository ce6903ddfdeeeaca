package io.s3index.queryapi.listing;

import static org.assertj.core.api.Assertions.assertThat;

import io.s3index.queryapi.IndexFixture;
import io.s3index.queryapi.QueryPlans;
import io.s3index.queryapi.QueryString;
import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every page query the API runs uses an index for its page, on a table large enough for the
 * planner to prefer a sequential scan if it could; sorts the API offers need no Sort step.
 */
class QueryPlanIT {

  private static IndexFixture index;
  private static Listing listing;
  private static CursorCodec codec;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("query_plan_it");
    index.database().jdbi().useHandle(h -> {
      h.execute("""
          INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, sequencer,
                               deleted, event_time, metadata, tags)
          SELECT CASE WHEN g % 4 = 0 THEN 'other' ELSE 'big' END,
                 'dir' || (g % 100) || '/sub' || (g % 7) || '/file-' || g,
                 g % 1000, 'etag',
                 (ARRAY['image/jpeg', 'text/plain', 'application/json'])[g % 3 + 1],
                 timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second',
                 lpad(to_hex(g), 16, '0'), g % 50 = 0,
                 timestamptz '2025-01-01 00:00:00+00' + g * interval '1 second',
                 CASE WHEN g % 1000 = 3 THEN '{"project": "rare", "tier": "hot"}'::jsonb
                      WHEN g % 10 = 3 THEN '{"tier": "hot"}'::jsonb END,
                 CASE WHEN g % 100 = 5 THEN '{"env": "prod"}'::jsonb END
          FROM generate_series(1, 300000) g""");
      h.execute("ANALYZE object_attrs");
      h.execute("ANALYZE folder_stats");
      h.execute("ANALYZE objects");
    });
    codec = new CursorCodec("plan-test-secret-0123".getBytes(StandardCharsets.UTF_8),
        Duration.ZERO, Clock.systemUTC());
    listing = new Listing(index.database().jdbi(), codec, java.time.Duration.ofSeconds(1));
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static String plan(String query, boolean withCursor) {
    ListingRequest first = ListingRequest.parse("big", QueryString.parse(query), codec);
    if (!withCursor) {
      return listing.explain(first);
    }
    String sortValue = switch (first.sortBy()) {
      case KEY -> null;
      case LAST_MODIFIED -> "2025-01-02T12:00:00.123456Z";
      case SIZE -> "500";
    };
    String snapshot = index.database().jdbi().withHandle(h ->
        h.createQuery("SELECT pg_current_snapshot()::text").mapTo(String.class).one());
    String token = codec.encode(Cursor.Direction.NEXT, Cursor.Boundary.ROW, sortValue, "dir5/sub3/file-1000",
        first.scope(), snapshot);
    String withToken = (query.isEmpty() ? "" : query + "&") + "cursor=" + token;
    return listing.explain(ListingRequest.parse("big", QueryString.parse(withToken), codec));
  }

  @ParameterizedTest(name = "{0} cursor={1}")
  @CsvSource(delimiter = '|', value = {
      "|false", "|true", "sort_order=desc|true",
      "sort_by=last_modified|true", "sort_by=last_modified&sort_order=desc|true",
      "sort_by=size|true", "sort_by=size&sort_order=desc|true",
      "prefix=dir5/|true", "prefix=dir5/&sort_order=desc|true",
      "start_after=dir5/|false"})
  void sortedPagesAreIndexRangeScansWithoutASort(String query, boolean cursor) {
    String plan = plan(query == null ? "" : query, cursor);
    assertThat(plan).as(plan).contains("Index").doesNotContain("Seq Scan").doesNotContainPattern("(?m)->\\s+Sort|^Sort");
    assertThat(plan).as(plan).contains("Limit");
    assertThat(QueryPlans.partitions(plan)).as(plan).hasSize(1);
  }

  @ParameterizedTest(name = "{0} cursor={1}")
  @CsvSource(delimiter = '|', value = {
      "delimiter=/|false", "delimiter=/|true", "delimiter=/&prefix=dir5/|true",
      "delimiter=/&sort_order=desc|true", "content_type=image/jpeg|true", "content_type=image/*|false",
      "min_size=500&max_size=600|true", "modified_after=2025-01-02T00:00:00Z|true",
      "sort_by=size&modified_before=2025-01-02T00:00:00Z|true"})
  void filteredAndFolderPagesUseAnIndex(String query, boolean cursor) {
    String plan = plan(query, cursor);
    assertThat(plan).as(plan).contains("Index").doesNotContain("Seq Scan");
    assertThat(QueryPlans.partitions(plan)).as(plan).hasSize(1);
  }

  /**
   * The S3 endpoint's pages (ListObjectsV2 and V1) run the listing's statements: the first page
   * and a page from a continuation token are each one index range scan, with no sort.
   */
  @ParameterizedTest(name = "prefix={0} delimiter={1} start-after={2}")
  @CsvSource(delimiter = '|', value = {"|||", "dir5/|||", "|/||", "dir5/|/||", "|/|dir5/sub3/|",
      "dir5/|/|dir5/sub3/file-1|", "||dir7/|"})
  void s3EndpointPagesAreIndexRangeScans(String prefix, String delimiter, String startAfter) {
    KeyListing keys = new KeyListing(index.database().jdbi(), codec);
    KeyListing.Request first = new KeyListing.Request("big", prefix, delimiter, startAfter, 2, null);
    String token = keys.page(first).nextToken();
    assertThat(token).isNotNull();
    for (KeyListing.Request r : List.of(first,
        new KeyListing.Request("big", prefix, delimiter, startAfter, 1000, token))) {
      String plan = keys.explain(r);
      assertThat(plan).as(plan).contains("Index").doesNotContain("Seq Scan");
      assertThat(QueryPlans.partitions(plan)).as(plan).hasSize(1);
      if (prefix == null && delimiter == null) {
        // Over the whole bucket the page is a walk of the key index in order. (In a small prefix
        // range the planner may rather fetch the range and sort it; a folder page sorts only its
        // own entries by their position in the walk.)
        assertThat(plan).as(plan).contains("Limit").doesNotContainPattern("(?m)->\\s+Sort|^Sort");
      }
    }
  }

  /**
   * Metadata and tag filter pages in key order are range scans of the entries' index (rare or
   * common value, present, with a prefix, a cursor, descending, a folder view); in another order
   * they still start from an index.
   */
  @ParameterizedTest(name = "{0} cursor={1}")
  @CsvSource(delimiter = '|', value = {
      "metadata.project=rare|false", "metadata.project=rare|true", "metadata.tier=hot|true",
      "metadata.tier=hot&sort_order=desc|true", "tag.env=*|true", "metadata.project=*&prefix=dir5/|true",
      "metadata.tier=hot&tag.env=prod|true", "metadata.tier=hot&delimiter=/|true",
      "metadata.project=rare&delimiter=/&prefix=dir5/|false"})
  void metadataAndTagPagesWalkTheEntriesIndex(String query, boolean cursor) {
    String plan = plan(query, cursor);
    assertThat(plan).as(plan)
        .containsPattern("(Index (Only )?Scan( Backward)? using|Bitmap Index Scan on) object_attrs_(pkey|present)")
        .doesNotContain("Seq Scan on objects");
    assertThat(QueryPlans.partitions(plan)).as(plan).hasSizeLessThanOrEqualTo(1);
    if (!query.contains("delimiter") && !query.contains("&tag.")) {
      // One filter: the walk of its entries in key order, stopped by the page's LIMIT. (With two,
      // the planner may rather join both entry sets and sort what is left, when that is cheaper.)
      assertThat(plan).as(plan).doesNotContain("Seq Scan");
      assertThat(plan).as(plan).contains("Limit").doesNotContainPattern("(?m)->\\s+Sort|^Sort");
    }
  }

  @ParameterizedTest(name = "{0} cursor={1}")
  @CsvSource(delimiter = '|', value = {"metadata.project=rare&sort_by=size|true",
      "tag.env=prod&sort_by=last_modified&sort_order=desc|false", "metadata.tier=hot&sort_by=size|true"})
  void metadataPagesInOtherOrdersStartFromAnIndex(String query, boolean cursor) {
    String plan = plan(query, cursor);
    assertThat(plan).as(plan).contains("Index").doesNotContain("Seq Scan");
    assertThat(QueryPlans.partitions(plan)).as(plan).hasSize(1);
  }

  /**
   * A common value in another order: a walk of the sort's index probing each object's entry, which
   * stops when the page is full (no sort of every match), and the page it reads is right.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"size", "last_modified"})
  void commonValuesInOtherOrdersWalkTheSortIndex(String sort) {
    String query = "metadata.tier=hot&sort_by=" + sort + "&page_size=50";
    String plan = plan(query, false);
    assertThat(plan).as(plan).containsPattern("objects(_p\\d+)?_live_by_" + sort).contains("Limit")
        .doesNotContainPattern("(?m)->\\s+Sort|^Sort");
    Listing.Page page = listing.page(ListingRequest.parse("big", QueryString.parse(query), codec));
    List<String> expected = index.database().jdbi().withHandle(h -> h.createQuery(
            "SELECT key FROM objects WHERE bucket = 'big' AND NOT deleted AND metadata ->> 'tier' = 'hot' "
                + "ORDER BY " + sort + ", key LIMIT 50").mapTo(String.class).list());
    assertThat(page.rows().stream().map(ObjectRow::key).toList()).isEqualTo(expected);
  }

  /**
   * objects is hash-partitioned by bucket (V14): a page's plan reads one partition, also as a
   * generic plan (a prepared statement's, with the bucket a parameter), pruned when it runs.
   */
  @org.junit.jupiter.api.Test
  void aPageReadsOnePartitionAlsoAsAGenericPlan() {
    int partitions = index.database().jdbi().withHandle(h ->
        h.createQuery("SELECT s3index_partition_count('objects')").mapTo(Integer.class).one());
    assertThat(partitions).isEqualTo(io.s3index.shared.db.Database.DEFAULT_PARTITIONS);
    String plan = index.database().jdbi().withHandle(h -> {
      h.execute("SET plan_cache_mode = force_generic_plan");
      h.execute("PREPARE generic_page(text, text) AS SELECT key, size FROM objects "
          + "WHERE bucket = $1 AND NOT deleted AND key > $2 ORDER BY key LIMIT 100");
      try {
        return String.join("\n", h.createQuery("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) EXECUTE generic_page('big', 'dir5/')")
            .mapTo(String.class).list());
      } finally {
        h.execute("DEALLOCATE generic_page");
        h.execute("RESET plan_cache_mode");
      }
    });
    assertThat(plan).as(plan).contains("Subplans Removed: " + (partitions - 1)).contains("Index")
        .doesNotContain("Seq Scan");
    assertThat(QueryPlans.partitions(plan)).as(plan).hasSize(1);
  }

  /** A folder's sizes and a page's folders: primary-key reads of folder_stats, whatever the folder holds. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"''", "dir5/", "dir5/sub3/"})
  void folderSizesAreIndexReads(String prefix) {
    String plan = index.database().jdbi().withHandle(h -> FolderStats.explain(h, "big", List.of(prefix, "dir7/")));
    assertThat(plan).as(plan).containsPattern("Index (Only )?Scan (using|on) folder_stats_pkey").doesNotContain("Seq Scan");
  }
}
