-- The change feed (GET /v1/buckets/{bucket}/changes) reads a bucket's rows by the transaction of
-- their last visible change (change_xid, V10), oldest first: this index is its range scan.
CREATE INDEX objects_changes ON objects (bucket, change_xid, key);

-- How far purge-tombstones has removed deletes from the feed, per bucket: the newest change_xid of
-- a purged tombstone. A feed position whose snapshot may not have seen that delete (its xmin is
-- not past it) points into history that is gone: the feed answers 410 cursor_expired.
CREATE TABLE feed_horizon (
    bucket         text COLLATE "C" PRIMARY KEY,
    purged_through xid8 NOT NULL
);
