-- <table>: objects (the live index) or objects_rebuild (the shadow ops rebuild replays into).
-- Permanent removals of one version each. A removal changes the index only if the version it
-- names is the indexed one (or the key is already a tombstone, or unknown): deleting an older
-- version leaves the current one listed. The newer-sequencer rule applies as for every event.
INSERT INTO <table> AS o (bucket, key, size, last_modified, version_id, sequencer, deleted,
                          event_time, indexed_at)
SELECT b.bucket, b.key, 0, b.event_time, b.version_id, b.sequencer, true, b.event_time, now()
FROM unnest(:buckets::text[], :keys::text[], :versionIds::text[], :sequencers::text[],
            :eventTimes::timestamptz[])
     AS b (bucket, key, version_id, sequencer, event_time)
ON CONFLICT (bucket, key) DO UPDATE
SET size = 0, etag = NULL, content_type = NULL, storage_class = NULL, metadata = NULL, tags = NULL,
    last_modified  = EXCLUDED.last_modified,
    version_id     = EXCLUDED.version_id,
    sequencer      = EXCLUDED.sequencer,
    deleted        = true,
    event_time     = EXCLUDED.event_time,
    indexed_at     = EXCLUDED.indexed_at,
    listed         = false
WHERE o.sequencer < EXCLUDED.sequencer
  AND (o.deleted OR o.version_id IS NOT DISTINCT FROM EXCLUDED.version_id)
