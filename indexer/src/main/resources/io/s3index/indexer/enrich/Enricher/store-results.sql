-- Stores what HeadObject (and GetObjectTagging) found, only onto the row version it was asked for (same sequencer): a
-- newer event in between wins and brings its own enrichment. Rows whose object turned out gone
-- or changed (store = false) are only taken off the queue.
WITH r AS (
    SELECT *
    FROM unnest(:buckets::text[], :keys::text[], :sequencers::text[], :contentTypes::text[],
                :storageClasses::text[], :metadata::text[], :tags::text[], :store::boolean[])
         AS r (bucket, key, sequencer, content_type, storage_class, metadata, tags, store)
), stored AS (
    UPDATE objects AS o
    SET content_type  = r.content_type,
        storage_class = r.storage_class,
        metadata      = r.metadata::jsonb,
        -- With tag enrichment, GetObjectTagging's answer (null: the store keeps no tags); without,
        -- what the event carried stays.
        tags          = CASE WHEN CAST(:withTags AS boolean) THEN coalesce(r.tags::jsonb, o.tags) ELSE o.tags END
    FROM r
    WHERE r.store AND o.bucket = r.bucket AND o.key = r.key AND o.sequencer = r.sequencer
      AND NOT o.deleted
)
DELETE FROM enrichment_queue q
USING r
WHERE q.bucket = r.bucket AND q.key = r.key AND q.sequencer = r.sequencer
