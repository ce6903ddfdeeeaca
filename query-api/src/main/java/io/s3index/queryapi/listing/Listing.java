package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.failure.Failures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import io.s3index.queryapi.reads.Reads;

/**
 * Reads one page of a listing with a single keyset range scan, never OFFSET (the statements are
 * {@link ListingSql}'s; the page and its cursors are cut by {@link PageWindow}), in the walk's
 * snapshot, and its total when asked for.
 *
 * <ul>
 *   <li>Flat listings: a strict row-value comparison on (sort value, key) from the cursor's
 *       boundary, {@code LIMIT page_size + 1} to learn whether more rows follow. A previous page
 *       scans the other way from its boundary and is reversed.
 *   <li>Folder listings ({@code delimiter}): a recursive query that probes the key index once per
 *       entry and, when a key rolls up into a common prefix, jumps over every key under that
 *       prefix in one probe, so a page of 100 folders costs about 100 index probes however many
 *       objects they hold.
 * </ul>
 */
final class Listing {

  /** Exact counts running at once; more callers get the planner's estimate at once. */
  private static final int EXACT_COUNTS = 2;

  private final Reads reads;
  private final CursorCodec cursors;
  private final Duration countTimeout;
  private final Semaphore exactCounts = new Semaphore(EXACT_COUNTS);

  /** @param countTimeout how long an exact total may take before the estimate is answered */
  Listing(Jdbi jdbi, CursorCodec cursors, Duration countTimeout) {
    this(Reads.primaryOnly(jdbi), cursors, countTimeout);
  }

  /** @param reads where pages are read: the primary, or replicas that have caught up with the walk */
  Listing(Reads reads, CursorCodec cursors, Duration countTimeout) {
    this.reads = reads;
    this.cursors = cursors;
    this.countTimeout = countTimeout;
  }

  /**
   * One page, in the requested order. {@code commonPrefixes} is null without a delimiter; {@code
   * totalCount} is null unless asked for, and then {@code totalIsEstimate} says whether it is the
   * planner's estimate rather than an exact count; {@code snapshot} is the walk's.
   */
  record Page(List<ObjectRow> rows, List<String> commonPrefixes, boolean hasNext,
      boolean hasPrevious, String nextCursor, String previousCursor, Long totalCount,
      boolean totalIsEstimate, String snapshot, List<FolderStats.Sizes> folders) {

    Page(List<ObjectRow> rows, List<String> commonPrefixes, boolean hasNext, boolean hasPrevious,
        String nextCursor, String previousCursor, Long totalCount, boolean totalIsEstimate, String snapshot) {
      this(rows, commonPrefixes, hasNext, hasPrevious, nextCursor, previousCursor, totalCount,
          totalIsEstimate, snapshot, null);
    }
  }

  /**
   * Reads a page. A walk's first page is read in a repeatable-read transaction that also takes
   * its snapshot; every cursor of the walk carries that snapshot, and later pages keep only rows
   * whose version stamp ({@code version_xid}: the transaction that gave the row its sequencer,
   * deleted flag, size and last_modified) it sees. So a walk never returns an object twice, even
   * when its sort value changes mid-walk: a changed object leaves the walk, an unchanged one stays
   * put, whatever bookkeeping rewrote its row (enrichment, a rebuild, a repair that changed
   * nothing).
   */
  Page page(ListingRequest request) {
    if (request.cursor() == null) {
      return reads.fresh(handle -> {
        String snapshot = handle.createQuery("SELECT pg_current_snapshot()::text")
            .mapTo(String.class).one();
        return read(handle, request, null, snapshot);
      });
    }
    String snapshot = request.cursor().snapshot();
    // The walk's next page is read where its snapshot is covered: every page sees what the
    // first one saw, whichever server serves it.
    return snapshot == null ? reads.any(handle -> read(handle, request, null, null))
        : reads.covering(snapshot, handle -> read(handle, request, snapshot, snapshot));
  }

  /**
   * @param visibleIn the snapshot whose rows alone the page may return, or null (a first page)
   * @param snapshot the walk's snapshot, which the page's cursors carry (null for none)
   */
  private Page read(Handle handle, ListingRequest request, String visibleIn, String snapshot) {
    return request.delimiter() == null
        ? flat(handle, request, visibleIn, snapshot) : folder(handle, request, visibleIn, snapshot);
  }

  /** The page with its total, when the request asks for one. */
  Page withTotal(ListingRequest request, Page page) {
    if (!request.includeTotal()) {
      return page;
    }
    long[] total = total(request);
    return new Page(page.rows(), page.commonPrefixes(), page.hasNext(), page.hasPrevious(),
        page.nextCursor(), page.previousCursor(), total[0], total[1] != 0, page.snapshot(), page.folders());
  }

  /**
   * The number of objects the request matches: exact when a count finishes within the count
   * timeout, else the planner's estimate ({1 = estimate} in the second slot). At most {@value
   * #EXACT_COUNTS} exact counts run at once, so totals never hold every connection of the pool.
   */
  private long[] total(ListingRequest request) {
    if (request.totalIsAFolderSize()) {
      // Exact at once from the kept folder sizes: no count of the folder's objects.
      String folder = request.prefix() == null ? "" : request.prefix();
      return new long[] {reads.any(h -> FolderStats.of(h, request.bucket(), List.of(folder)))
          .get(0).objects(), 0};
    }
    ListingSql.Statement count = ListingSql.count(request);
    if (exactCounts.tryAcquire()) {
      try {
        return new long[] {reads.any(h -> h.inTransaction(handle -> {
          handle.execute("SELECT set_config('statement_timeout', ?, true)", countTimeout.toMillis() + "ms");
          return count.query(handle).mapTo(Long.class).one();
        })), 0};
      } catch (RuntimeException e) {
        if (!Failures.isStatementTimeout(e)) {
          throw e;
        }
      } finally {
        exactCounts.release();
      }
    }
    ListingSql.Statement rows = ListingSql.estimate(request);
    String plan = reads.any(handle -> rows.query(handle).mapTo(String.class).one());
    return new long[] {estimatedRows(plan), 1};
  }

  /** The top plan node's row estimate from {@code EXPLAIN (FORMAT JSON)}. */
  static long estimatedRows(String planJson) {
    Matcher m = PLAN_ROWS.matcher(planJson);
    return m.find() ? Math.round(Double.parseDouble(m.group(1))) : 0;
  }

  private static final Pattern PLAN_ROWS = Pattern.compile("\"Plan Rows\":\\s*([0-9.eE+]+)");

  /** The plan PostgreSQL chooses for the page query of a request (for tests and diagnostics). */
  String explain(ListingRequest request) {
    String visibleIn = request.cursor() == null ? null : request.cursor().snapshot();
    return reads.primary(handle -> {
      ListingSql.Statement statement = request.delimiter() == null
          ? ListingSql.flat(request, visibleIn, rareAttributes(handle, request))
          : ListingSql.folder(request, visibleIn);
      return String.join("\n", statement.prefixed("EXPLAIN").query(handle).mapTo(String.class).list());
    });
  }

  private Page flat(Handle handle, ListingRequest r, String visibleIn, String snapshot) {
    List<ObjectRow> rows = ListingSql.flat(r, visibleIn, rareAttributes(handle, r)).query(handle)
        .map((rs, ctx) -> ObjectRow.from(rs)).list();
    PageWindow<ObjectRow> w = PageWindow.of(r, cursors, snapshot, rows, new PageWindow.Boundaries<>() {
      @Override
      public Cursor.Boundary kind(ObjectRow row) {
        return Cursor.Boundary.ROW;
      }

      @Override
      public String sortValue(ObjectRow row) {
        return r.sortBy().cursorValue(row);
      }

      @Override
      public String key(ObjectRow row) {
        return row.key();
      }
    });
    return new Page(w.page(), null, w.next() != null, w.previous() != null, w.next(), w.previous(), null, false,
        snapshot);
  }

  /**
   * Whether a page in an order other than the key's should start from its metadata or tag
   * filter's entries (sorting the few objects they name) rather than walk the sort's index probing
   * each object met. Walking costs about (bucket size / matches) probes per row of the page,
   * starting from the entries costs about one fetch per match; they cost the same near
   * sqrt(70 x bucket size) matches (each a few microseconds on either side). So the entries are
   * counted up to that bound, one short index-only read, and the bucket's size is its kept size.
   */
  private static boolean rareAttributes(Handle handle, ListingRequest r) {
    ListingRequest.AttributeFilter drive = r.drivingAttribute();
    if (drive == null || r.sortBy() == SortField.KEY) {
      return false;
    }
    long objects = FolderStats.of(handle, r.bucket(), List.of("")).get(0).objects();
    long bound = Math.max(1_000, (long) Math.sqrt(70.0 * objects));
    long matches = handle.createQuery(COUNT_ENTRIES)
        .bind("bucket", r.bucket()).bind("entry", drive.entry()).bind("value", drive.value())
        .bind("bound", bound + 1).mapTo(Long.class).one();
    return matches <= bound;
  }

  private static final String COUNT_ENTRIES = "SELECT count(*) FROM (SELECT 1 FROM object_attrs"
      + " WHERE bucket = :bucket AND name = left(:entry, 130)"
      + " AND (CAST(:value AS text) IS NULL OR value = left(:value, 128)) LIMIT :bound) e";

  /** An entry of a folder page: a common prefix, or an object of the folder itself. */
  private record Entry(String commonPrefix, ObjectRow row) {}

  private static final PageWindow.Boundaries<Entry> ENTRY_BOUNDARIES = new PageWindow.Boundaries<>() {
    @Override
    public Cursor.Boundary kind(Entry e) {
      return e.commonPrefix() != null ? Cursor.Boundary.COMMON_PREFIX : Cursor.Boundary.ROW;
    }

    @Override
    public String sortValue(Entry e) {
      return null;
    }

    @Override
    public String key(Entry e) {
      return e.commonPrefix() != null ? e.commonPrefix() : e.row().key();
    }
  };

  private Page folder(Handle handle, ListingRequest r, String visibleIn, String snapshot) {
    List<Entry> entries = ListingSql.folder(r, visibleIn).query(handle)
        .map((rs, ctx) -> {
          String commonPrefix = rs.getString("common_prefix");
          return new Entry(commonPrefix, commonPrefix == null ? ObjectRow.from(rs, 3) : null);
        }).list();
    PageWindow<Entry> w = PageWindow.of(r, cursors, snapshot, entries, ENTRY_BOUNDARIES);
    List<ObjectRow> rows = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    for (Entry e : w.page()) {
      if (e.commonPrefix() != null) {
        prefixes.add(e.commonPrefix());
      } else {
        rows.add(e.row());
      }
    }
    return new Page(rows, prefixes, w.next() != null, w.previous() != null, w.next(), w.previous(), null, false,
        snapshot, r.includeStats() ? FolderStats.of(handle, r.bucket(), prefixes) : null);
  }
}
