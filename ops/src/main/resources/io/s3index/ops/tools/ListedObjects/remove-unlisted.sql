-- Rows whose objects the bucket no longer holds: tombstones, keeping their sequencer so that a
-- late, older create still cannot bring them back; rows touched since the run began are left.
UPDATE objects AS o
SET deleted = true, indexed_at = now(), listed = true
FROM unnest(:buckets::text[], :keys::text[]) AS r (bucket, key)
WHERE o.bucket = r.bucket AND o.key = r.key AND NOT o.deleted AND o.indexed_at < :since
