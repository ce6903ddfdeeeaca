-- Objects whose tags changed (tagging events), queued for enrichment at their current version:
-- the enricher asks S3 for the tags again. A key the index does not hold live is not queued.
INSERT INTO enrichment_queue AS q (bucket, key, sequencer)
SELECT o.bucket, o.key, o.sequencer
FROM unnest(:buckets::text[], :keys::text[]) AS t (bucket, key)
JOIN objects o ON o.bucket = t.bucket AND o.key = t.key AND NOT o.deleted
ORDER BY o.bucket, o.key
ON CONFLICT (bucket, key) DO UPDATE
SET sequencer = EXCLUDED.sequencer, attempts = 0, next_attempt_at = now(), queued_at = now(),
    last_error = NULL, given_up = false
