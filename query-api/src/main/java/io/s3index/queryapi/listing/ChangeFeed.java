package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import io.s3index.shared.cursor.InvalidCursorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import io.s3index.queryapi.reads.Reads;
import org.jdbi.v3.core.locator.ClasspathSqlLocator;
import org.jdbi.v3.core.statement.Query;

/**
 * A bucket's change feed: the changes applied to the index after a position, oldest first, each
 * as the object's state when read (several changes of a key between two reads arrive as one).
 *
 * <p>A position is a database snapshot: everything it saw has been delivered. Reading from it
 * takes a second snapshot, the window's end, and returns the rows whose change stamp the first did
 * not see and the second does ({@code ChangeFeed/page.sql} says why nothing can fall between two
 * windows); pages within a window follow (change stamp, key). A listing's first page hands its
 * walk's snapshot over as the position to follow from.
 *
 * <p>Feed cursors are signed with the listing's secret, bound to the bucket and prefix, and never
 * expire by age: only when {@code purge-tombstones} removed deletes the position had not seen.
 */
final class ChangeFeed {

  private static final String PAGE = ClasspathSqlLocator.removingComments().locate(ChangeFeed.class, "page");
  private static final String AFTER = "AND (o.change_xid, o.key) > (CAST(:afterXid AS xid8), :afterKey)";

  /**
   * Where a reader stands.
   *
   * @param from the snapshot whose changes the reader has
   * @param to the end of the window being paged through, or null between windows
   * @param afterXid with {@code afterKey}, the last entry delivered in the window, or null
   */
  record Position(String from, String to, String afterXid, String afterKey) {

    static Position at(String snapshot) {
      return new Position(snapshot, null, null, null);
    }
  }

  /** One change: the key's state now ({@code row} null for a delete). */
  record Change(String key, boolean deleted, String sequencer, ObjectRow row) {}

  /** A page of changes and the position after it. */
  record Page(List<Change> changes, boolean hasMore, Position next) {}

  /** The position is older than the feed's history: deletes it had not seen were purged. */
  static final class ExpiredException extends RuntimeException {
    ExpiredException() {
      super("the changes since this cursor are no longer all in the index (tombstones were purged); "
          + "walk the listing again and follow its changes_cursor");
    }
  }

  private final Reads reads;
  private final CursorCodec cursors;

  /** @param cursors a codec with the listings' secret and no time to live */
  ChangeFeed(Reads reads, CursorCodec cursors) {
    this.reads = reads;
    this.cursors = cursors;
  }

  /** The scope feed cursors are bound to. */
  static String scope(String bucket, String prefix) {
    return CursorCodec.scopeOf(String.join("\u0000", "changes-v1", bucket, prefix == null ? "" : prefix));
  }

  String encode(String bucket, String prefix, Position p) {
    String snapshots = p.to() == null ? p.from() : p.from() + "|" + p.to();
    return cursors.encode(Cursor.Direction.NEXT, Cursor.Boundary.ROW, p.afterXid(),
        p.afterKey() == null ? "" : p.afterKey(), scope(bucket, prefix), snapshots);
  }

  /** @throws InvalidCursorException if the token is not a feed cursor of this bucket and prefix */
  Position decode(String token, String bucket, String prefix) {
    Cursor c = cursors.decode(token, scope(bucket, prefix));
    if (c.snapshot() == null) {
      throw new InvalidCursorException("the cursor is not a change-feed cursor");
    }
    String[] snapshots = c.snapshot().split("\\|", -1);
    if (snapshots.length > 2 || (c.sortValue() == null) != c.key().isEmpty()) {
      throw new InvalidCursorException("the cursor is not a change-feed cursor");
    }
    return new Position(snapshots[0], snapshots.length == 2 ? snapshots[1] : null, c.sortValue(),
        c.sortValue() == null ? null : c.key());
  }

  /** The position of now: nothing before it is news. */
  Position head() {
    return Position.at(reads.primary(ChangeFeed::currentSnapshot));
  }

  static String currentSnapshot(Handle h) {
    return h.createQuery("SELECT pg_current_snapshot()::text").mapTo(String.class).one();
  }

  /**
   * The page after {@code p}: up to {@code pageSize} changes under {@code prefix} (null for all).
   *
   * @throws ExpiredException when tombstones the position had not seen were purged
   */
  Page read(String bucket, String prefix, Position p, int pageSize) {
    // Read where the position's snapshots are covered, so that the next position never lies
    // before this one, whichever server serves the next read.
    return reads.covering(p.to() != null ? p.to() : p.from(), h -> {
      boolean expired = h.createQuery("""
              SELECT EXISTS (SELECT 1 FROM feed_horizon
                             WHERE bucket = :bucket
                               AND purged_through >= pg_snapshot_xmin(CAST(:from AS pg_snapshot)))""")
          .bind("bucket", bucket).bind("from", p.from()).mapTo(Boolean.class).one();
      if (expired) {
        throw new ExpiredException();
      }
      String to = p.to() != null ? p.to() : currentSnapshot(h);
      Query query = h.createQuery(PAGE)
          .define("after", p.afterXid() == null ? "" : AFTER)
          .define("limit", Integer.toString(pageSize + 1))
          .bind("bucket", bucket).bind("from", p.from()).bind("to", to);
      if (p.afterXid() != null) {
        query.bind("afterXid", p.afterXid()).bind("afterKey", p.afterKey());
      }
      Map<String, Object> binds = new LinkedHashMap<>();
      List<String> filters = new ArrayList<>();
      ListingSql.prefix(prefix, filters, binds);
      query.define("filters", String.join(" ", filters));
      binds.forEach(query::bind);
      record Fetched(String xid, Change change) {}
      List<Fetched> fetched = query.map((rs, ctx) -> {
        boolean deleted = rs.getBoolean("deleted");
        ObjectRow row = deleted ? null : ObjectRow.from(rs, 4);
        return new Fetched(rs.getString("change_xid"),
            new Change(rs.getString("key"), deleted, rs.getString("sequencer"), row));
      }).list();
      boolean more = fetched.size() > pageSize;
      List<Fetched> page = more ? fetched.subList(0, pageSize) : fetched;
      List<Change> changes = page.stream().map(Fetched::change).toList();
      if (more) {
        Fetched last = page.get(page.size() - 1);
        return new Page(changes, true, new Position(p.from(), to, last.xid(), last.change().key()));
      }
      // The window is read to its end: its end is the reader's position now.
      return new Page(changes, false, Position.at(to));
    });
  }
}
