-- Rows still waiting for enrichment (after a crash, a full queue or failed calls).
SELECT bucket, key, sequencer, version_id, etag
FROM objects
WHERE enrich_pending
LIMIT :limit
