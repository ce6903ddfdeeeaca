-- ops rebuild reduces and indexes the shadow on several connections at once. V7's procedures each
-- ran on one backend, so on a multi-core server most cores sat idle through both steps; these
-- replace them.
DROP PROCEDURE s3index_rebuild_load();
DROP PROCEDURE s3index_rebuild_index();

-- Reduces one part of the staged events into the shadow: the objects whose key hashes to this
-- part. Every event of an object has its key, so the parts are disjoint and each is reduced
-- exactly as V7's s3index_rebuild_load() reduced the whole: the newest event per (bucket, key).
CREATE PROCEDURE s3index_rebuild_load_part(part integer, parts integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF parts < 1 OR part < 0 OR part >= parts THEN
        RAISE EXCEPTION 'part % of % does not exist', part, parts;
    END IF;
    INSERT INTO objects_rebuild (bucket, key, size, etag, content_type, last_modified,
                                 storage_class, version_id, sequencer, deleted, metadata,
                                 event_time, indexed_at, enrich_pending)
    SELECT DISTINCT ON (bucket, key)
           bucket, key, size, etag, content_type, event_time, NULL, version_id, sequencer,
           deleted, metadata::jsonb, event_time, now(), false
    FROM objects_rebuild_events
    WHERE NOT removal AND (hashtext(key) & 2147483647) % parts = part
    ORDER BY bucket, key, sequencer DESC, ord;
END
$$;

-- One CREATE INDEX per index of the live table, for the loaded shadow, each to run on its own
-- connection. The primary key's is a plain unique index here: adding the constraint directly
-- would lock the shadow against the other builds. s3index_rebuild_attach_primary_key() turns it
-- into the primary key afterwards.
CREATE FUNCTION s3index_rebuild_index_statements()
RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \S+ ON \S+',
               'CREATE \1INDEX '
               || quote_ident(CASE WHEN x.indisprimary THEN 'objects_rebuild_pkey' ELSE i.relname || '_rebuild' END)
               || ' ON objects_rebuild')
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indrelid = 'objects'::regclass
    -- The primary key first: it is the widest, and the builds are handed out in this order.
    ORDER BY x.indisprimary DESC, i.relname;
$$;

-- Makes the shadow's unique index on the live primary key's columns its primary key, and
-- gathers the planner's statistics.
CREATE PROCEDURE s3index_rebuild_attach_primary_key()
LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE objects_rebuild ADD CONSTRAINT objects_rebuild_pkey PRIMARY KEY USING INDEX objects_rebuild_pkey;
    ANALYZE objects_rebuild;
END
$$;
