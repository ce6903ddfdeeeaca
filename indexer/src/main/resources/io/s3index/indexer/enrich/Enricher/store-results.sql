-- Stores what HeadObject found, only onto the row version it was asked for (same sequencer): a
-- newer event in between wins and brings its own enrichment. Rows whose object turned out gone
-- or changed (store = false) are only taken off the queue.
WITH r AS (
    SELECT *
    FROM unnest(:buckets::text[], :keys::text[], :sequencers::text[], :contentTypes::text[],
                :storageClasses::text[], :metadata::text[], :store::boolean[])
         AS r (bucket, key, sequencer, content_type, storage_class, metadata, store)
), stored AS (
    UPDATE objects AS o
    SET content_type  = r.content_type,
        storage_class = r.storage_class,
        metadata      = r.metadata::jsonb
    FROM r
    WHERE r.store AND o.bucket = r.bucket AND o.key = r.key AND o.sequencer = r.sequencer
      AND NOT o.deleted
)
DELETE FROM enrichment_queue q
USING r
WHERE q.bucket = r.bucket AND q.key = r.key AND q.sequencer = r.sequencer
