package io.s3index.queryapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The change feed: complete and gap-free, paged, handed over from a listing, long-polled, expiring. */
class ChangeFeedIT {

  private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");
  private static IndexFixture index;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    index = IndexFixture.create("change_feed_it");
    api = index.startApi();
  }

  @AfterAll
  static void stop() {
    index.close();
  }

  private static IndexFixture.Row row(String bucket, String key, long size) {
    return new IndexFixture.Row(bucket, key, size, T, null);
  }

  private static String head(String bucket) {
    ApiClient.Response r = api.get("/v1/buckets/" + bucket + "/changes");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("data")).isEmpty();
    return r.body().get("pagination").get("next_cursor").asText();
  }

  /** Follows the feed from {@code cursor} until a page says no more; returns the entries and the last cursor. */
  private record Followed(List<JsonNode> entries, String cursor, int pages) {}

  private static Followed follow(String bucket, String cursor, String extra) {
    List<JsonNode> entries = new ArrayList<>();
    int pages = 0;
    while (true) {
      ApiClient.Response r = api.get("/v1/buckets/" + bucket + "/changes?cursor=" + cursor + extra);
      assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
      pages++;
      r.body().get("data").forEach(entries::add);
      cursor = r.body().get("pagination").get("next_cursor").asText();
      if (!r.body().get("pagination").get("has_more").asBoolean()) {
        return new Followed(entries, cursor, pages);
      }
    }
  }

  @Test
  void deliversEveryChangeOnceInPagesThenDeletesThenNothing() {
    String cursor = head("paged");
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      rows.add(row("paged", String.format("k/%03d", i), i));
    }
    index.put(rows.subList(0, 120));
    index.put(rows.subList(120, 250));
    Followed first = follow("paged", cursor, "&page_size=100");
    assertThat(first.pages()).isEqualTo(3);
    assertThat(first.entries()).hasSize(250);
    assertThat(first.entries().stream().map(e -> e.get("key").asText()).distinct()).hasSize(250);
    assertThat(first.entries()).allSatisfy(e -> {
      assertThat(e.get("type").asText()).isEqualTo("upsert");
      assertThat(e.get("object").get("key").asText()).isEqualTo(e.get("key").asText());
    });

    index.delete("paged", "k/007");
    Followed second = follow("paged", first.cursor(), "");
    assertThat(second.entries()).singleElement().satisfies(e -> {
      assertThat(e.get("type").asText()).isEqualTo("delete");
      assertThat(e.get("key").asText()).isEqualTo("k/007");
      assertThat(e.get("object").isNull()).isTrue();
    });
    Followed third = follow("paged", second.cursor(), "");
    assertThat(third.entries()).isEmpty();
    assertThat(third.cursor()).isNotEmpty();
  }

  /**
   * The classic trap, forced: transaction A takes its id first, B after it; B commits, a reader
   * reads past B; only then A commits. The reader must still get A's change.
   */
  @Test
  void aChangeNumberedBeforeTheReadersPositionThatCommitsAfterItIsStillDelivered() {
    String cursor = head("trap");
    try (Handle a = index.database().jdbi().open(); Handle b = index.database().jdbi().open()) {
      a.begin();
      long xidA = a.createQuery("SELECT pg_current_xact_id()::text::bigint").mapTo(Long.class).one();
      insert(a, "trap", "from-a");
      b.begin();
      long xidB = b.createQuery("SELECT pg_current_xact_id()::text::bigint").mapTo(Long.class).one();
      insert(b, "trap", "from-b");
      b.commit();
      assertThat(xidA).isLessThan(xidB);

      Followed past = follow("trap", cursor, "");
      assertThat(past.entries()).extracting(e -> e.get("key").asText()).containsExactly("from-b");

      a.commit();
      Followed after = follow("trap", past.cursor(), "");
      assertThat(after.entries()).extracting(e -> e.get("key").asText()).containsExactly("from-a");
    }
  }

  private static void insert(Handle h, String bucket, String key) {
    h.createUpdate("""
            INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, deleted, event_time)
            VALUES (:b, :k, 1, 'e', now(), '0001', false, now())""")
        .bind("b", bucket).bind("k", key).execute();
  }

  @Test
  void aWalkHandsOverToTheFeedWithNothingMissedBetween() {
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(row("handover", "h/" + i, i));
    }
    index.put(rows);
    ApiClient.Response first = api.get("/v1/buckets/handover/objects?page_size=10");
    String changes = first.body().get("pagination").get("changes_cursor").asText();
    Map<String, Long> replica = new HashMap<>();
    first.body().get("data").forEach(o -> replica.put(o.get("key").asText(), o.get("size").asLong()));
    // Changes while the walk goes on: a new key, an overwrite, a delete.
    index.put(List.of(row("handover", "h/new", 99), row("handover", "h/25", 250)));
    index.delete("handover", "h/29");
    String next = first.body().get("pagination").get("next_cursor").asText();
    while (!next.equals("null")) {
      JsonNode page = api.get("/v1/buckets/handover/objects?page_size=10&cursor=" + next).body();
      page.get("data").forEach(o -> replica.put(o.get("key").asText(), o.get("size").asLong()));
      next = page.get("pagination").get("next_cursor").asText();
    }
    for (JsonNode e : follow("handover", changes, "").entries()) {
      if (e.get("type").asText().equals("delete")) {
        replica.remove(e.get("key").asText());
      } else {
        replica.put(e.get("key").asText(), e.get("object").get("size").asLong());
      }
    }
    Map<String, Long> truth = new HashMap<>();
    api.get("/v1/buckets/handover/objects?page_size=1000").body().get("data")
        .forEach(o -> truth.put(o.get("key").asText(), o.get("size").asLong()));
    assertThat(replica).isEqualTo(truth).containsEntry("h/new", 99L).containsEntry("h/25", 250L)
        .doesNotContainKey("h/29");
  }

  @Test
  void aLongPollAnswersWithTheChangeThatCommitsWhileItWaits() throws Exception {
    String cursor = head("polled");
    CompletableFuture<ApiClient.Response> waiting = CompletableFuture.supplyAsync(
        () -> api.get("/v1/buckets/polled/changes?wait=20&cursor=" + cursor));
    index.put(List.of(row("polled", "arrived", 5)));
    ApiClient.Response r = waiting.get(30, TimeUnit.SECONDS);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("data")).extracting(e -> e.get("key").asText()).containsExactly("arrived");
  }

  @Test
  void onlyKeysUnderThePrefixAndCursorsBoundToIt() {
    ApiClient.Response headed = api.get("/v1/buckets/prefixed/changes?prefix=a/");
    String cursor = headed.body().get("pagination").get("next_cursor").asText();
    index.put(List.of(row("prefixed", "a/1", 1), row("prefixed", "b/1", 1), row("prefixed", "a/2", 1)));
    assertThat(follow("prefixed", cursor, "&prefix=a/").entries())
        .extracting(e -> e.get("key").asText()).containsExactly("a/1", "a/2");
    ApiClient.Response other = api.get("/v1/buckets/prefixed/changes?prefix=b/&cursor=" + cursor);
    assertThat(other.status()).isEqualTo(400);
    assertThat(other.body().get("error").asText()).isEqualTo("invalid_cursor");
  }

  @Test
  void badParametersAreProblems() {
    for (String query : new String[] {"page_size=0", "page_size=1001", "wait=61", "wait=-1", "cursor=", "bogus=1",
        "cursor=abc"}) {
      ApiClient.Response r = api.get("/v1/buckets/params/changes?" + query);
      assertThat(r.status()).as(query).isEqualTo(400);
      assertThat(r.contentType()).as(query).startsWith("application/problem+json");
    }
  }

  @Test
  void aCursorBehindPurgedTombstonesIsGone() {
    String cursor = head("purged");
    index.put(List.of(row("purged", "gone", 1)));
    index.delete("purged", "gone");
    // What ops purge-tombstones does: remove the tombstone and move the horizon past it.
    index.database().jdbi().useHandle(h -> h.execute("""
        WITH purged AS (DELETE FROM objects WHERE bucket = 'purged' AND deleted RETURNING bucket, change_xid)
        INSERT INTO feed_horizon (bucket, purged_through) SELECT bucket, max(change_xid) FROM purged GROUP BY bucket
        ON CONFLICT (bucket) DO UPDATE SET purged_through = greatest(feed_horizon.purged_through, EXCLUDED.purged_through)"""));
    ApiClient.Response r = api.get("/v1/buckets/purged/changes?cursor=" + cursor);
    assertThat(r.status()).isEqualTo(410);
    assertThat(r.body().get("error").asText()).isEqualTo("cursor_expired");
    // A position taken after the purge is fine.
    assertThat(follow("purged", head("purged"), "").entries()).isEmpty();
  }

  private static void put(String bucket, String key, String etag) {
    index.database().jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO objects (bucket, key, size, etag, last_modified, sequencer, deleted, event_time)
            VALUES (:b, :k, 3, :e, now(), '0002', false, now())
            ON CONFLICT (bucket, key) DO UPDATE SET etag = EXCLUDED.etag, sequencer = '0003'""")
        .bind("b", bucket).bind("k", key).bind("e", etag).execute());
  }

  @Test
  void anUploaderReadsItsOwnWriteByEtagWithinTheWait() throws Exception {
    put("ryw", "there", "e1");
    assertThat(api.get("/v1/buckets/ryw/objects/there?etag=e1").status()).isEqualTo(200);
    assertThat(api.get("/v1/buckets/ryw/objects/there?etag=%22e1%22").status()).as("quoted, as S3 sends it").isEqualTo(200);
    assertThat(api.get("/v1/buckets/ryw/objects/there?etag=e2").status()).isEqualTo(404);
    assertThat(api.get("/v1/buckets/ryw/objects/there?etag=e2&wait=1").status()).as("the wait ends").isEqualTo(404);

    CompletableFuture<ApiClient.Response> waiting = CompletableFuture.supplyAsync(
        () -> api.get("/v1/buckets/ryw/objects/uploaded?etag=e9&wait=20"));
    CompletableFuture<ApiClient.Response> overwrite = CompletableFuture.supplyAsync(
        () -> api.get("/v1/buckets/ryw/objects/there?etag=e3&wait=20"));
    put("ryw", "uploaded", "e9");
    put("ryw", "there", "e3");
    ApiClient.Response created = waiting.get(30, TimeUnit.SECONDS);
    assertThat(created.status()).isEqualTo(200);
    assertThat(created.body().get("etag").asText()).isEqualTo("e9");
    assertThat(overwrite.get(30, TimeUnit.SECONDS).body().get("etag").asText()).isEqualTo("e3");

    for (String bad : new String[] {"wait=61", "wait=x", "bogus=1", "etag=a&etag=b"}) {
      assertThat(api.get("/v1/buckets/ryw/objects/there?" + bad).status()).as(bad).isEqualTo(400);
    }
  }

  /** A window is a range scan of the change index, also in a bucket of many rows, never a scan of the bucket. */
  @Test
  void aPageIsARangeScanOfTheChangeIndex() {
    List<IndexFixture.Row> rows = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      rows.add(row("planned", String.format("p/%05d", i), i));
    }
    String before = index.database().jdbi().withHandle(h ->
        h.createQuery("SELECT pg_current_snapshot()::text").mapTo(String.class).one());
    index.put(rows);
    index.database().jdbi().useHandle(h -> h.execute("ANALYZE objects"));
    String sql = org.jdbi.v3.core.locator.ClasspathSqlLocator.removingComments().getResource(
        ChangeFeedIT.class.getClassLoader(), "io/s3index/queryapi/listing/ChangeFeed/page.sql");
    String plan = index.database().jdbi().withHandle(h -> {
      String snapshot = h.createQuery("SELECT pg_current_snapshot()::text").mapTo(String.class).one();
      return String.join("\n", h.createQuery("EXPLAIN " + sql)
          .define("after", "AND (o.change_xid, o.key) > (CAST(:afterXid AS xid8), :afterKey)")
          .define("filters", "").define("limit", "101")
          .bind("bucket", "planned").bind("from", before).bind("to", snapshot)
          .bind("afterXid", "1").bind("afterKey", "")
          .mapTo(String.class).list());
    });
    assertThat(plan).as(plan).containsPattern("objects(_p\\d+)?_changes").doesNotContain("Seq Scan");
    assertThat(QueryPlans.partitions(plan)).as(plan).hasSize(1);
  }
}
