-- ops rebuild loads the bulk of the topic set-wise: events are copied into an unlogged staging
-- table without indexes, reduced to the newest event per (bucket, key) with one sort, and
-- inserted into a shadow that has no indexes yet; the shadow's indexes are built afterwards, once,
-- from the sorted data. Maintaining four indexes row by row was most of the old replay's time.

-- A fresh shadow with the live table's columns, defaults and checks, but no indexes yet, and a
-- fresh staging table for the replayed events.
CREATE OR REPLACE PROCEDURE s3index_rebuild_prepare()
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS objects_rebuild;
    DROP TABLE IF EXISTS objects_rebuild_events;
    CREATE TABLE objects_rebuild (LIKE objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
    -- ord: the order events were read in, which breaks ties between equal sequencers the way
    -- the live writer does (the first one applied stays).
    CREATE UNLOGGED TABLE objects_rebuild_events (
        ord          bigint           NOT NULL,
        bucket       text COLLATE "C" NOT NULL,
        key          text COLLATE "C" NOT NULL,
        size         bigint           NOT NULL,
        etag         text,
        content_type text,
        version_id   text,
        sequencer    text COLLATE "C" NOT NULL,
        deleted      boolean          NOT NULL,
        removal      boolean          NOT NULL,
        metadata     text,
        event_time   timestamptz      NOT NULL
    );
END
$$;

-- Reduces the staged events (all but version removals, which the tool applies afterwards in
-- sequencer order) into the shadow, exactly as the live upsert would leave them.
CREATE PROCEDURE s3index_rebuild_load()
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO objects_rebuild (bucket, key, size, etag, content_type, last_modified,
                                 storage_class, version_id, sequencer, deleted, metadata,
                                 event_time, indexed_at, enrich_pending)
    SELECT DISTINCT ON (bucket, key)
           bucket, key, size, etag, content_type, event_time, NULL, version_id, sequencer,
           deleted, metadata::jsonb, event_time, now(), false
    FROM objects_rebuild_events
    WHERE NOT removal
    ORDER BY bucket, key, sequencer DESC, ord;
END
$$;

-- Gives the loaded shadow the live table's primary key and indexes, each built in one sort.
CREATE PROCEDURE s3index_rebuild_index()
LANGUAGE plpgsql AS $$
DECLARE
    live_index record;
BEGIN
    FOR live_index IN
        SELECT i.relname AS name, x.indisprimary AS is_primary, c.oid AS constraint_oid,
               pg_get_indexdef(i.oid) AS definition
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype = 'p'
        WHERE x.indrelid = 'objects'::regclass
    LOOP
        IF live_index.is_primary THEN
            EXECUTE format('ALTER TABLE objects_rebuild ADD CONSTRAINT objects_rebuild_pkey %s',
                           pg_get_constraintdef(live_index.constraint_oid));
        ELSE
            EXECUTE regexp_replace(live_index.definition, '^CREATE (UNIQUE )?INDEX \S+ ON \S+',
                                   'CREATE \1INDEX ' || quote_ident(live_index.name || '_rebuild')
                                   || ' ON objects_rebuild');
        END IF;
    END LOOP;
    ANALYZE objects_rebuild;
END
$$;
