-- Objects as a bucket listing shows them. Keys no event has described get the empty sequencer,
-- lower than any event's, so every later event wins over a listing. A row an event wrote is
-- changed only when :overwrite is set (reconcile --fix), and then only if nothing touched it
-- since the run began; it keeps its sequencer, so events keep their order. Such rows are marked
-- listed: their state is not in the topic, and ops rebuild carries them over.
INSERT INTO objects AS o (bucket, key, size, etag, content_type, last_modified, storage_class,
                          sequencer, deleted, metadata, event_time, indexed_at, listed)
SELECT b.bucket, b.key, b.size, b.etag, b.content_type, b.last_modified, b.storage_class,
       '', false, b.metadata::jsonb, b.last_modified, now(), true
FROM unnest(:buckets::text[], :keys::text[], :sizes::bigint[], :etags::text[],
            :contentTypes::text[], :lastModified::timestamptz[], :storageClasses::text[],
            :metadata::text[])
     AS b (bucket, key, size, etag, content_type, last_modified, storage_class, metadata)
ON CONFLICT (bucket, key) DO UPDATE
SET size          = EXCLUDED.size,
    etag          = EXCLUDED.etag,
    content_type  = COALESCE(EXCLUDED.content_type, o.content_type),
    last_modified = EXCLUDED.last_modified,
    storage_class = COALESCE(EXCLUDED.storage_class, o.storage_class),
    metadata      = COALESCE(EXCLUDED.metadata, o.metadata),
    deleted       = false,
    indexed_at    = now(),
    listed        = true
WHERE o.sequencer = '' OR (:overwrite AND o.indexed_at < :since)
