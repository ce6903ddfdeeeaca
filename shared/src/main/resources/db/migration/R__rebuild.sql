-- ops rebuild's procedures, in their current form: the tool only calls them and issues no DDL of
-- its own. Flyway runs this file after the versioned migrations whenever it changes, so a change
-- to a step of the rebuild is an edit here (V6-V10 hold their history). Tables: objects (live),
-- objects_rebuild (the shadow being built), objects_rebuild_events (the staged topic, unlogged),
-- objects_retired (the old live table between the swap and its drop).
-- The versioned files keep the earlier definitions they ran; Flyway checksums them, so they stay
-- as they are (V6's header, "the tool only calls them", became true only with this file), and
-- some of their text repeats here.

-- Replaced by the steps below.
DROP PROCEDURE IF EXISTS s3index_rebuild_carry_enrichment();
DROP FUNCTION IF EXISTS s3index_rebuild_index_statements();

-- 1. A fresh shadow with the live table's columns, defaults and checks, but no indexes yet, and a
-- fresh staging table for the replayed events. With only_bucket, the rebuild of that one bucket
-- (ops rebuild --bucket): its shadow is one plain table, merged into the live one at the end.
DROP PROCEDURE IF EXISTS s3index_rebuild_prepare();
CREATE OR REPLACE PROCEDURE s3index_rebuild_prepare(only_bucket text DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS objects_rebuild;
    DROP TABLE IF EXISTS objects_rebuild_events;
    DROP TABLE IF EXISTS folder_stats_rebuild;
    DROP TABLE IF EXISTS object_attrs_rebuild;
    -- Partitioned as the live table is (V14), so that each partition's indexes build on their own.
    PERFORM s3index_create_objects_like('objects_rebuild',
        CASE WHEN only_bucket IS NULL THEN s3index_partition_count('objects') ELSE 0 END);
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
        tags         text,
        event_time   timestamptz      NOT NULL
    );
END
$$;

-- 2. Reduces one part of the staged events (all but version removals, which the tool applies
-- afterwards in sequencer order) into the shadow: the objects whose key hashes to this part,
-- each to its newest event, exactly as the live upsert would leave it. Every event of an object
-- has its key, so the parts are disjoint; each runs on its own connection.
CREATE OR REPLACE PROCEDURE s3index_rebuild_load_part(part integer, parts integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF parts < 1 OR part < 0 OR part >= parts THEN
        RAISE EXCEPTION 'part % of % does not exist', part, parts;
    END IF;
    INSERT INTO objects_rebuild (bucket, key, size, etag, content_type, last_modified,
                                 storage_class, version_id, sequencer, deleted, metadata, tags,
                                 event_time, indexed_at)
    SELECT DISTINCT ON (bucket, key)
           bucket, key, size, etag, content_type, event_time, NULL, version_id, sequencer,
           deleted, metadata::jsonb, tags::jsonb, event_time, now()
    FROM objects_rebuild_events
    WHERE NOT removal AND (hashtext(key) & 2147483647) % parts = part
    ORDER BY bucket, key, sequencer DESC, ord;
END
$$;

-- 3. The index builds for the loaded shadow, one per index of the live table and part of the
-- shadow (each partition, or the shadow itself when unpartitioned), as 'part suffix': each is
-- built by s3index_rebuild_build_index on a connection of its own; the primary key's first (they
-- are the widest, and the builds are handed out in this order).
DROP FUNCTION IF EXISTS s3index_rebuild_indexes();
CREATE FUNCTION s3index_rebuild_indexes()
RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT p.part || ' ' || d.suffix
    FROM s3index_index_defs('objects') d, s3index_parts('objects_rebuild') AS p(part)
    ORDER BY d.is_primary DESC, d.suffix, p.part;
$$;

-- Builds one of the above (V14's s3index_build_index: a primary key's copy is a plain unique index
-- here, since adding the constraint would lock the shadow against the other builds).
DROP PROCEDURE IF EXISTS s3index_rebuild_build_index(text);
CREATE PROCEDURE s3index_rebuild_build_index(unit text)
LANGUAGE plpgsql AS $$
BEGIN
    IF split_part(unit, ' ', 2) = '' THEN
        RAISE EXCEPTION 'not an index build of the rebuild: %', unit;
    END IF;
    PERFORM s3index_build_index(split_part(unit, ' ', 1), split_part(unit, ' ', 2));
END
$$;

-- 4. Makes each part's copy of the primary key its primary key, gives a partitioned shadow its
-- parent indexes (adopting the partitions' ones), and gathers the planner's statistics.
CREATE OR REPLACE PROCEDURE s3index_rebuild_attach_primary_key()
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM s3index_finish_indexes('objects_rebuild');
END
$$;

-- 4b. The shadow's derived tables (V13: folder sizes, metadata and tag entries), filled from the
-- loaded shadow in one pass each, and the statement triggers that keep them right through the
-- version removals and the carry-over that follow.
CREATE OR REPLACE PROCEDURE s3index_rebuild_derive()
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS folder_stats_rebuild;
    DROP TABLE IF EXISTS object_attrs_rebuild;
    CREATE TABLE folder_stats_rebuild (LIKE folder_stats INCLUDING ALL);
    CREATE TABLE object_attrs_rebuild (LIKE object_attrs INCLUDING ALL);
    PERFORM s3index_derive_fill('_rebuild');
    PERFORM s3index_derive_triggers('_rebuild');
END
$$;

-- 5. After the staged version removals are applied: the staging table is done with.
CREATE OR REPLACE PROCEDURE s3index_rebuild_drop_staging()
LANGUAGE plpgsql AS $$
BEGIN
    -- A bucket the topic names is known (the live indexer records it batch by batch; a rebuild
    -- into an empty database must too).
    IF to_regclass('objects_rebuild_events') IS NOT NULL THEN
        INSERT INTO buckets (name)
        SELECT DISTINCT bucket FROM objects_rebuild_events
        ON CONFLICT (name) DO NOTHING;
    END IF;
    DROP TABLE IF EXISTS objects_rebuild_events;
END
$$;

-- 6. Before the swap, in its transaction (the live indexer paused, so nothing of the old index can
-- change after it is read): gives the rebuilt rows what the topic does not hold.
--  * At the same version (sequencer and deleted flag): the old row's enrichment when the rebuilt
--    one has none, and the old stamps when the row reads the same, so walks and the change feed
--    see no change where there is none.
--  * Rows from a listing (backfill, reconcile --fix) that no newer event superseded, rows newer
--    than the topic holds, and tombstones the topic no longer holds: the old row, whole.
-- Live rows from events that the topic no longer holds (retention) are not carried: the caller
-- counts them first (s3index_rebuild_drops) and refuses unless told to drop them. With only_bucket,
-- only that bucket's live rows are read (the shadow holds no other).
DROP PROCEDURE IF EXISTS s3index_rebuild_carry_over();
CREATE OR REPLACE PROCEDURE s3index_rebuild_carry_over(only_bucket text DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE objects_rebuild r
    SET content_type  = CASE WHEN r.content_type IS NULL AND r.metadata IS NULL THEN o.content_type ELSE r.content_type END,
        metadata      = CASE WHEN r.content_type IS NULL AND r.metadata IS NULL THEN o.metadata ELSE r.metadata END,
        tags          = coalesce(o.tags, r.tags),
        storage_class = coalesce(r.storage_class, o.storage_class),
        version_xid   = CASE WHEN r.size = o.size AND r.last_modified = o.last_modified
                             THEN o.version_xid ELSE r.version_xid END
    FROM objects o
    WHERE (only_bucket IS NULL OR o.bucket = only_bucket) AND o.bucket = r.bucket AND o.key = r.key AND o.sequencer = r.sequencer AND o.deleted = r.deleted
      AND NOT o.listed;

    UPDATE objects_rebuild r
    SET change_xid = o.change_xid
    FROM objects o
    WHERE (only_bucket IS NULL OR o.bucket = only_bucket) AND o.bucket = r.bucket AND o.key = r.key AND r.version_xid = o.version_xid
      AND (r.etag, r.content_type, r.storage_class, r.version_id, r.metadata, r.tags)
          IS NOT DISTINCT FROM (o.etag, o.content_type, o.storage_class, o.version_id, o.metadata, o.tags);

    UPDATE objects_rebuild r
    SET size = o.size, etag = o.etag, content_type = o.content_type, last_modified = o.last_modified,
        storage_class = o.storage_class, version_id = o.version_id, sequencer = o.sequencer,
        deleted = o.deleted, metadata = o.metadata, tags = o.tags, event_time = o.event_time, indexed_at = o.indexed_at,
        version_xid = o.version_xid, change_xid = o.change_xid, listed = o.listed
    FROM objects o
    WHERE (only_bucket IS NULL OR o.bucket = only_bucket) AND o.bucket = r.bucket AND o.key = r.key
      AND ((o.listed AND o.sequencer >= r.sequencer) OR o.sequencer > r.sequencer);

    INSERT INTO objects_rebuild (bucket, key, size, etag, content_type, last_modified, storage_class,
                                 version_id, sequencer, deleted, metadata, tags, event_time, indexed_at,
                                 version_xid, change_xid, listed)
    SELECT o.bucket, o.key, o.size, o.etag, o.content_type, o.last_modified, o.storage_class,
           o.version_id, o.sequencer, o.deleted, o.metadata, o.tags, o.event_time, o.indexed_at,
           o.version_xid, o.change_xid, o.listed
    FROM objects o
    WHERE (only_bucket IS NULL OR o.bucket = only_bucket) AND (o.listed OR o.deleted)
      AND NOT EXISTS (SELECT 1 FROM objects_rebuild r WHERE r.bucket = o.bucket AND r.key = o.key);

    -- Live rows the rebuilt index lacks (their events left the topic, and the caller was allowed
    -- to drop them): tombstones, so that the change feed delivers their removal.
    INSERT INTO objects_rebuild (bucket, key, size, last_modified, version_id, sequencer, deleted,
                                 event_time, indexed_at, listed)
    SELECT o.bucket, o.key, 0, o.last_modified, o.version_id, o.sequencer, true, o.event_time, now(), false
    FROM objects o
    WHERE (only_bucket IS NULL OR o.bucket = only_bucket) AND NOT EXISTS (SELECT 1 FROM objects_rebuild r WHERE r.bucket = o.bucket AND r.key = o.key);

    -- Every rebuilt row that did not keep the old row's change stamp differs from the old row (or
    -- has none): a change, stamped with this transaction, so that the change feed delivers it once
    -- the swap commits, and only then. (Its stamp from the load, an earlier transaction into the
    -- shadow, would look old to a feed reader that took its position after that load committed.)
    -- Likewise a rebuilt row at another version than the old one leaves the walks in progress.
    UPDATE objects_rebuild r
    SET change_xid = pg_current_xact_id()
    WHERE NOT EXISTS (SELECT 1 FROM objects o
                      WHERE o.bucket = r.bucket AND o.key = r.key AND o.change_xid = r.change_xid);
    UPDATE objects_rebuild r
    SET version_xid = pg_current_xact_id()
    WHERE NOT EXISTS (SELECT 1 FROM objects o
                      WHERE o.bucket = r.bucket AND o.key = r.key AND o.version_xid = r.version_xid);
END
$$;

-- Live rows of the old index, written by events, that the rebuilt one would drop (their events
-- are no longer in the topic): how many, and up to ten of them.
DROP FUNCTION IF EXISTS s3index_rebuild_drops();
DROP FUNCTION IF EXISTS s3index_rebuild_drops(text);
CREATE FUNCTION s3index_rebuild_drops(only_bucket text DEFAULT NULL, OUT dropped bigint, OUT sample text[])
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMPORARY TABLE s3index_rebuild_dropped ON COMMIT DROP AS
    SELECT o.bucket, o.key
    FROM objects o
    WHERE (only_bucket IS NULL OR o.bucket = only_bucket) AND NOT o.deleted AND NOT o.listed
      AND NOT EXISTS (SELECT 1 FROM objects_rebuild r WHERE r.bucket = o.bucket AND r.key = o.key);
    SELECT count(*) INTO dropped FROM s3index_rebuild_dropped;
    SELECT array_agg(k) INTO sample
    FROM (SELECT bucket || '/' || key AS k FROM s3index_rebuild_dropped ORDER BY bucket, key LIMIT 10) s;
    DROP TABLE s3index_rebuild_dropped;
END
$$;

-- 7. Swaps the shadow in: renames, gives its indexes and primary key the live names, and puts the
-- stamping trigger on it. Runs in the caller's transaction, which must hold the locks it needs;
-- the old table is left as objects_retired until s3index_rebuild_retire() drops it.
CREATE OR REPLACE PROCEDURE s3index_rebuild_swap()
LANGUAGE plpgsql AS $$
DECLARE
    old_index record;
    new_index text;
BEGIN
    CALL s3index_rebuild_retire();
    IF to_regclass('folder_stats_rebuild') IS NULL THEN
        RAISE EXCEPTION 'the shadow has no derived tables (s3index_rebuild_derive was not run)';
    END IF;
    -- objects, its partitions and indexes become objects_retired..., the shadow's objects...; the
    -- stamping and derived-table triggers move to the new objects (V14).
    PERFORM s3index_replace_objects('objects_rebuild', 'objects_retired');
    -- The derived tables (V13) go with it; the triggers write them by name.
    DROP TABLE folder_stats;
    DROP TABLE object_attrs;
    ALTER TABLE folder_stats_rebuild RENAME TO folder_stats;
    ALTER TABLE object_attrs_rebuild RENAME TO object_attrs;
    -- The copies' indexes take the names of the indexes they replace.
    FOR old_index IN
        SELECT i.relname AS name, t.relname AS owner, x.indisprimary AS is_primary
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE x.indrelid IN ('folder_stats'::regclass, 'object_attrs'::regclass)
    LOOP
        new_index := CASE WHEN old_index.is_primary THEN old_index.owner || '_pkey' ELSE old_index.owner || '_present' END;
        IF new_index <> old_index.name THEN
            EXECUTE format('ALTER INDEX %I RENAME TO %I', old_index.name, new_index);
        END IF;
    END LOOP;
END
$$;

-- 7b. In place of the swap, for the rebuild of one bucket: in the caller's transaction (the live
-- indexer paused, after the carry-over), makes the live rows of that bucket read as the shadow's,
-- through the live table, so that its triggers stamp what changed (and only that) and keep the
-- folder sizes and metadata entries; no other bucket's row is touched. Then drops the shadow.
CREATE OR REPLACE PROCEDURE s3index_rebuild_merge_bucket(only_bucket text)
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM objects_rebuild WHERE bucket <> only_bucket) THEN
        RAISE EXCEPTION 'the shadow holds rows of buckets other than %', only_bucket;
    END IF;
    UPDATE objects o
    SET size = r.size, etag = r.etag, content_type = r.content_type, last_modified = r.last_modified,
        storage_class = r.storage_class, version_id = r.version_id, sequencer = r.sequencer,
        deleted = r.deleted, metadata = r.metadata, tags = r.tags, event_time = r.event_time,
        indexed_at = now(), listed = r.listed
    FROM objects_rebuild r
    WHERE o.bucket = only_bucket AND r.bucket = o.bucket AND r.key = o.key
      AND (o.size, o.etag, o.content_type, o.last_modified, o.storage_class, o.version_id, o.sequencer,
           o.deleted, o.metadata, o.tags, o.event_time, o.listed)
          IS DISTINCT FROM
          (r.size, r.etag, r.content_type, r.last_modified, r.storage_class, r.version_id, r.sequencer,
           r.deleted, r.metadata, r.tags, r.event_time, r.listed);
    INSERT INTO objects (bucket, key, size, etag, content_type, last_modified, storage_class,
                         version_id, sequencer, deleted, metadata, tags, event_time, indexed_at, listed)
    SELECT r.bucket, r.key, r.size, r.etag, r.content_type, r.last_modified, r.storage_class,
           r.version_id, r.sequencer, r.deleted, r.metadata, r.tags, r.event_time, now(), r.listed
    FROM objects_rebuild r
    WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = only_bucket AND o.key = r.key);
    DROP TABLE objects_rebuild;
END
$$;

-- 8. Drops the old table once the swap has committed.
CREATE OR REPLACE PROCEDURE s3index_rebuild_retire()
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS objects_retired;
END
$$;
