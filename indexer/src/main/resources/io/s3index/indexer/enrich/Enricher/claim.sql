-- Claims up to :limit due rows of the enrichment queue, oldest due first, for :leaseSeconds:
-- rows another enricher holds are skipped (SKIP LOCKED), and a claimed row is not due again until
-- its lease ends, so no two enrichers take the same row. Rows whose object has since been
-- deleted or replaced by a version that needs no HeadObject are dropped from the queue instead.
WITH due AS (
    SELECT q.bucket, q.key, o.version_id, o.etag,
           coalesce(o.sequencer = q.sequencer AND NOT o.deleted, false) AS current
    FROM enrichment_queue q
    LEFT JOIN objects o ON o.bucket = q.bucket AND o.key = q.key
    WHERE NOT q.given_up AND q.next_attempt_at <= now()
    ORDER BY q.next_attempt_at
    LIMIT :limit
    FOR UPDATE OF q SKIP LOCKED
), dropped AS (
    DELETE FROM enrichment_queue q
    USING due
    WHERE q.bucket = due.bucket AND q.key = due.key AND NOT due.current
)
UPDATE enrichment_queue q
SET next_attempt_at = now() + make_interval(secs => :leaseSeconds),
    attempts        = q.attempts + 1
FROM due
WHERE q.bucket = due.bucket AND q.key = due.key AND due.current
RETURNING q.bucket, q.key, q.sequencer, q.attempts, due.version_id, due.etag
