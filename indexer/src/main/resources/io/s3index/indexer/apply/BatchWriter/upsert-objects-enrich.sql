-- The upsert of upsert-objects.sql, for an indexer that enriches: every applied create that
-- carried neither content type nor metadata is queued for HeadObject in the same statement (so
-- in the batch's transaction), replacing what the queue held for an older version of the key.
-- Answers how many events changed the index and how many were queued.
-- Its INSERT repeats upsert-objects.sql's on purpose: a data-modifying CTE with RETURNING cannot
-- be shared with the plain statement, whose update count the non-enriching indexer reads; the
-- two are kept equal by BatchWriterIT, which runs every case through both.
WITH applied AS (
    INSERT INTO objects AS o (bucket, key, size, etag, content_type, last_modified, storage_class,
                              version_id, sequencer, deleted, metadata, tags, event_time, indexed_at)
    SELECT b.bucket, b.key, b.size, b.etag, b.content_type, b.event_time, NULL,
           b.version_id, b.sequencer, b.deleted, b.metadata::jsonb, b.tags::jsonb, b.event_time, now()
    FROM unnest(:buckets::text[], :keys::text[], :sizes::bigint[], :etags::text[],
                :versionIds::text[], :sequencers::text[], :deleted::boolean[],
                :eventTimes::timestamptz[], :contentTypes::text[], :metadata::text[], :tags::text[])
         AS b (bucket, key, size, etag, version_id, sequencer, deleted, event_time, content_type,
               metadata, tags)
    ON CONFLICT (bucket, key) DO UPDATE
    SET size          = EXCLUDED.size,
        etag          = EXCLUDED.etag,
        content_type  = EXCLUDED.content_type,
        last_modified = EXCLUDED.last_modified,
        storage_class = EXCLUDED.storage_class,
        version_id    = EXCLUDED.version_id,
        sequencer     = EXCLUDED.sequencer,
        deleted       = EXCLUDED.deleted,
        metadata      = EXCLUDED.metadata,
        tags          = EXCLUDED.tags,
        event_time    = EXCLUDED.event_time,
        indexed_at    = EXCLUDED.indexed_at,
        listed        = false
    WHERE o.sequencer < EXCLUDED.sequencer
    RETURNING o.bucket, o.key, o.sequencer, o.deleted, (o.content_type IS NULL AND o.metadata IS NULL) OR (CAST(:enrichTags AS boolean) AND o.tags IS NULL) AS bare
), queued AS (
    INSERT INTO enrichment_queue AS q (bucket, key, sequencer)
    SELECT bucket, key, sequencer FROM applied WHERE NOT deleted AND bare
    ON CONFLICT (bucket, key) DO UPDATE
    SET sequencer = EXCLUDED.sequencer, attempts = 0, next_attempt_at = now(), queued_at = now(),
        last_error = NULL, given_up = false
    RETURNING 1
)
SELECT (SELECT count(*) FROM applied) AS applied, (SELECT count(*) FROM queued) AS queued
