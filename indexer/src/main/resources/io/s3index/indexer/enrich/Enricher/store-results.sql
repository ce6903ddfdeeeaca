-- Stores what HeadObject found, only onto the row version it was asked for (same sequencer) and
-- only while that row still waits: a newer event in between wins and brings its own enrichment.
-- Rows whose object turned out gone or changed are just taken off the queue (store = false).
UPDATE objects AS o
SET content_type   = CASE WHEN r.store THEN r.content_type ELSE o.content_type END,
    storage_class  = CASE WHEN r.store THEN r.storage_class ELSE o.storage_class END,
    metadata       = CASE WHEN r.store THEN r.metadata::jsonb ELSE o.metadata END,
    enrich_pending = false
FROM unnest(:buckets::text[], :keys::text[], :sequencers::text[], :contentTypes::text[],
            :storageClasses::text[], :metadata::text[], :store::boolean[])
     AS r (bucket, key, sequencer, content_type, storage_class, metadata, store)
WHERE o.bucket = r.bucket AND o.key = r.key AND o.sequencer = r.sequencer AND o.enrich_pending
