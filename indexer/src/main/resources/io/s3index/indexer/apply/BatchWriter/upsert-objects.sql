-- <table>: objects (the live index) or objects_rebuild (the shadow ops rebuild replays into).
-- Applies a batch of object events, at most one per (bucket, key), in one statement.
-- A row changes only when the incoming sequencer is greater than the stored one (sequencers are
-- normalized so that COLLATE "C" order is the AWS order); removals leave a tombstone holding the
-- delete's sequencer, so a late, older create cannot bring the object back. The update count is
-- the number of events that changed the index.
INSERT INTO <table> AS o (bucket, key, size, etag, content_type, last_modified, storage_class,
                          version_id, sequencer, deleted, metadata, tags, event_time, indexed_at)
SELECT b.bucket, b.key, b.size, b.etag, b.content_type, b.event_time, NULL,
       b.version_id, b.sequencer, b.deleted, b.metadata::jsonb, b.tags::jsonb, b.event_time, now()
FROM unnest(:buckets::text[], :keys::text[], :sizes::bigint[], :etags::text[],
            :versionIds::text[], :sequencers::text[], :deleted::boolean[],
            :eventTimes::timestamptz[], :contentTypes::text[], :metadata::text[], :tags::text[])
     AS b (bucket, key, size, etag, version_id, sequencer, deleted, event_time, content_type,
           metadata, tags)
ON CONFLICT (bucket, key) DO UPDATE
SET size           = EXCLUDED.size,
    etag           = EXCLUDED.etag,
    content_type   = EXCLUDED.content_type,
    last_modified  = EXCLUDED.last_modified,
    storage_class  = EXCLUDED.storage_class,
    version_id     = EXCLUDED.version_id,
    sequencer      = EXCLUDED.sequencer,
    deleted        = EXCLUDED.deleted,
    metadata       = EXCLUDED.metadata,
    tags           = EXCLUDED.tags,
    event_time     = EXCLUDED.event_time,
    indexed_at     = EXCLUDED.indexed_at,
    listed         = false
WHERE o.sequencer < EXCLUDED.sequencer
