-- The buckets the index knows, whether or not they hold live objects now: the S3 endpoint answers
-- NoSuchBucket for a bucket never seen, and an emptied bucket still exists. A bucket is recorded
-- by the first batch that writes to it (indexer, rebuild, backfill, reconcile); rows are never
-- removed by the index itself.
CREATE TABLE buckets (
    name       text COLLATE "C" PRIMARY KEY,
    first_seen timestamptz      NOT NULL DEFAULT now()
);

-- Every bucket already indexed, found by skipping through the primary key one bucket at a time,
-- dated by its oldest row.
INSERT INTO buckets (name, first_seen)
WITH RECURSIVE b(bucket) AS (
    (SELECT bucket FROM objects ORDER BY bucket LIMIT 1)
    UNION ALL
    SELECT (SELECT o.bucket FROM objects o WHERE o.bucket > b.bucket ORDER BY o.bucket LIMIT 1)
    FROM b WHERE b.bucket IS NOT NULL)
SELECT b.bucket, (SELECT min(o.indexed_at) FROM objects o WHERE o.bucket = b.bucket)
FROM b WHERE b.bucket IS NOT NULL;
