package io.s3index.queryapi.listing;

import io.s3index.shared.cursor.Cursor;
import io.s3index.shared.cursor.CursorCodec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Turns a fetch of up to {@code page_size + 1} entries into a page and its cursors: the extra
 * entry only says whether more follow; a previous page was fetched backwards and is reversed; the
 * cursors carry the first and last entries' boundaries and the walk's snapshot.
 *
 * @param page the entries of the page, in the requested order
 * @param next the next page's cursor, or null when none follows
 * @param previous the previous page's cursor, or null on the first page
 */
record PageWindow<T>(List<T> page, String next, String previous) {

  /** Where an entry lies in its listing: its boundary kind, sort value (null for key order), key. */
  interface Boundaries<T> {
    Cursor.Boundary kind(T entry);

    String sortValue(T entry);

    String key(T entry);
  }

  static <T> PageWindow<T> of(ListingRequest r, CursorCodec cursors, String snapshot,
      List<T> fetched, Boundaries<T> boundaries) {
    boolean backwards = r.cursor() != null && r.cursor().direction() == Cursor.Direction.PREVIOUS;
    boolean more = fetched.size() > r.pageSize();
    List<T> page = new ArrayList<>(more ? fetched.subList(0, r.pageSize()) : fetched);
    if (backwards) {
      Collections.reverse(page);
    }
    boolean hasNext = backwards || more;
    boolean hasPrevious = backwards ? more : r.cursor() != null;
    String next = null;
    String previous = null;
    if (!page.isEmpty()) {
      if (hasNext) {
        next = cursor(cursors, Cursor.Direction.NEXT, page.get(page.size() - 1), boundaries, r, snapshot);
      }
      if (hasPrevious) {
        previous = cursor(cursors, Cursor.Direction.PREVIOUS, page.get(0), boundaries, r, snapshot);
      }
    }
    return new PageWindow<>(page, next, previous);
  }

  private static <T> String cursor(CursorCodec cursors, Cursor.Direction direction, T entry,
      Boundaries<T> b, ListingRequest r, String snapshot) {
    return cursors.encode(direction, b.kind(entry), b.sortValue(entry), b.key(entry), r.scope(), snapshot);
  }
}
