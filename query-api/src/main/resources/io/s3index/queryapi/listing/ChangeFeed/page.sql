-- One page of a bucket's change feed: the rows whose last visible change (change_xid) the
-- position's snapshot :from had not seen and the window's snapshot :to has, oldest change first.
--
-- Why no change can be skipped: a position is a snapshot, not a number. A change belongs to a
-- window exactly when its transaction is invisible to :from and visible to :to, so a transaction
-- that took its id before the reader's position but committed after it (the classic trap: ids are
-- handed out in one order and committed in another) is invisible to :from, whatever its id, and is
-- read by the first window whose :to sees it committed. A row changed again after :to carries the
-- newer transaction's id, which :to does not see: it leaves this window and is read, in its latest
-- state, by the next. The range on change_xid only lets the index skip what :from saw for certain
-- (below its xmin) and what :to cannot see (from its xmax on).
--   <after>    the page's boundary within the window (or nothing on its first page)
--   <filters>  the prefix, each "AND <condition>" on alias o (or nothing)
--   <limit>    page_size + 1, a validated number
SELECT o.change_xid::text AS change_xid, o.deleted, o.sequencer,
       o.key, o.size, o.etag, o.content_type, o.last_modified, o.storage_class, o.version_id,
       o.metadata::text AS metadata, o.tags::text AS tags
FROM objects o
WHERE o.bucket = :bucket
  AND o.change_xid >= pg_snapshot_xmin(CAST(:from AS pg_snapshot))
  AND o.change_xid < pg_snapshot_xmax(CAST(:to AS pg_snapshot))
  AND NOT pg_visible_in_snapshot(o.change_xid, CAST(:from AS pg_snapshot))
  AND pg_visible_in_snapshot(o.change_xid, CAST(:to AS pg_snapshot))
  <after> <filters>
ORDER BY o.change_xid, o.key
LIMIT <limit>
