-- Change stamps. V3 stamped every UPDATE with its transaction, so bookkeeping (enrichment, a
-- rebuild, a repair writing what was already there) hid objects from walks in progress. Each row
-- now carries two stamps that move only when the object does:
--
--   version_xid: the transaction that gave the row its current version: its sequencer, deleted
--     flag, size or last_modified (what walks sort and page on). Walks keep the rows whose
--     version_xid their first page's snapshot sees, so a row changed mid-walk can never be
--     returned twice (it leaves the walk), and bookkeeping never hides an unchanged object.
--   change_xid: the transaction of the row's last visible change: a new version (then it equals
--     version_xid) or new enrichment (content type, storage class, metadata, ETag, version id).
--     The change feed reads it.
--
-- A rewrite that leaves the row as it was keeps both. They are transaction ids, compared with
-- snapshots (pg_visible_in_snapshot), so they mean the same on a hot-standby replica.
--
-- listed: the row's state comes from a bucket listing (backfill, reconcile --fix), not from an
-- event: a rebuild from the topic carries such rows over instead of dropping or undoing them.
DROP TRIGGER objects_stamp_writer ON objects;
DROP FUNCTION objects_stamp_writer();
ALTER TABLE objects RENAME COLUMN writer_xid TO version_xid;
ALTER TABLE objects ADD COLUMN change_xid xid8;
ALTER TABLE objects ADD COLUMN listed boolean NOT NULL DEFAULT false;
UPDATE objects SET change_xid = version_xid, listed = (sequencer = '');
ALTER TABLE objects ALTER COLUMN change_xid SET DEFAULT pg_current_xact_id();
ALTER TABLE objects ALTER COLUMN change_xid SET NOT NULL;

CREATE FUNCTION objects_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sequencer IS DISTINCT FROM OLD.sequencer OR NEW.deleted IS DISTINCT FROM OLD.deleted
       OR NEW.size IS DISTINCT FROM OLD.size OR NEW.last_modified IS DISTINCT FROM OLD.last_modified THEN
        NEW.version_xid := pg_current_xact_id();
        NEW.change_xid := NEW.version_xid;
    ELSE
        NEW.version_xid := OLD.version_xid;
        IF NEW.etag IS DISTINCT FROM OLD.etag OR NEW.content_type IS DISTINCT FROM OLD.content_type
           OR NEW.storage_class IS DISTINCT FROM OLD.storage_class
           OR NEW.version_id IS DISTINCT FROM OLD.version_id OR NEW.metadata IS DISTINCT FROM OLD.metadata THEN
            NEW.change_xid := pg_current_xact_id();
        ELSE
            NEW.change_xid := OLD.change_xid;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER objects_stamp BEFORE UPDATE ON objects
    FOR EACH ROW EXECUTE FUNCTION objects_stamp();

-- The swap of V6, putting this trigger on the swapped-in table.
CREATE OR REPLACE PROCEDURE s3index_rebuild_swap()
LANGUAGE plpgsql AS $$
DECLARE
    old_index record;
    new_index text;
BEGIN
    DROP TABLE IF EXISTS objects_retired;
    LOCK TABLE objects, objects_rebuild IN ACCESS EXCLUSIVE MODE;
    -- Pair each live index with the shadow's index of the same definition.
    FOR old_index IN
        SELECT i.relname AS name,
               regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \S+ ON \S+', '') AS body
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'objects'::regclass
    LOOP
        SELECT i.relname INTO new_index
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'objects_rebuild'::regclass
          AND regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \S+ ON \S+', '') = old_index.body;
        IF new_index IS NULL THEN
            RAISE EXCEPTION 'the shadow table has no index like %', old_index.name;
        END IF;
        EXECUTE format('ALTER INDEX %I RENAME TO %I', old_index.name, old_index.name || '_retired');
        EXECUTE format('ALTER INDEX %I RENAME TO %I', new_index, old_index.name);
    END LOOP;
    ALTER TABLE objects RENAME TO objects_retired;
    ALTER TABLE objects_rebuild RENAME TO objects;
    DROP TRIGGER objects_stamp ON objects_retired;
    CREATE TRIGGER objects_stamp BEFORE UPDATE ON objects
        FOR EACH ROW EXECUTE FUNCTION objects_stamp();
END
$$;

-- Before the swap, in its transaction (the live indexer paused, so nothing of the old index can
-- change after it is read): gives the rebuilt rows what the topic does not hold.
--  * At the same version (sequencer and deleted flag): the old row's enrichment when the rebuilt
--    one has none, and the old stamps when the row reads the same, so walks and the change feed
--    see no change where there is none.
--  * Rows from a listing (backfill, reconcile --fix) that no newer event superseded, rows newer
--    than the topic holds, and tombstones the topic no longer holds: the old row, whole.
-- Live rows from events that the topic no longer holds (retention) are not carried: the caller
-- counts them first (s3index_rebuild_drops) and refuses unless told to drop them.
CREATE PROCEDURE s3index_rebuild_carry_over()
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE objects_rebuild r
    SET content_type  = CASE WHEN r.content_type IS NULL AND r.metadata IS NULL THEN o.content_type ELSE r.content_type END,
        metadata      = CASE WHEN r.content_type IS NULL AND r.metadata IS NULL THEN o.metadata ELSE r.metadata END,
        storage_class = coalesce(r.storage_class, o.storage_class),
        version_xid   = CASE WHEN r.size = o.size AND r.last_modified = o.last_modified
                             THEN o.version_xid ELSE r.version_xid END
    FROM objects o
    WHERE o.bucket = r.bucket AND o.key = r.key AND o.sequencer = r.sequencer AND o.deleted = r.deleted
      AND NOT o.listed;

    UPDATE objects_rebuild r
    SET change_xid = o.change_xid
    FROM objects o
    WHERE o.bucket = r.bucket AND o.key = r.key AND r.version_xid = o.version_xid
      AND (r.etag, r.content_type, r.storage_class, r.version_id, r.metadata)
          IS NOT DISTINCT FROM (o.etag, o.content_type, o.storage_class, o.version_id, o.metadata);

    UPDATE objects_rebuild r
    SET size = o.size, etag = o.etag, content_type = o.content_type, last_modified = o.last_modified,
        storage_class = o.storage_class, version_id = o.version_id, sequencer = o.sequencer,
        deleted = o.deleted, metadata = o.metadata, event_time = o.event_time, indexed_at = o.indexed_at,
        version_xid = o.version_xid, change_xid = o.change_xid, listed = o.listed
    FROM objects o
    WHERE o.bucket = r.bucket AND o.key = r.key
      AND ((o.listed AND o.sequencer >= r.sequencer) OR o.sequencer > r.sequencer);

    INSERT INTO objects_rebuild (bucket, key, size, etag, content_type, last_modified, storage_class,
                                 version_id, sequencer, deleted, metadata, event_time, indexed_at,
                                 version_xid, change_xid, listed)
    SELECT o.bucket, o.key, o.size, o.etag, o.content_type, o.last_modified, o.storage_class,
           o.version_id, o.sequencer, o.deleted, o.metadata, o.event_time, o.indexed_at,
           o.version_xid, o.change_xid, o.listed
    FROM objects o
    WHERE (o.listed OR o.deleted)
      AND NOT EXISTS (SELECT 1 FROM objects_rebuild r WHERE r.bucket = o.bucket AND r.key = o.key);
END
$$;

-- Live rows of the old index, written by events, that the rebuilt one would drop (their events
-- are no longer in the topic): how many, and up to ten of them.
CREATE FUNCTION s3index_rebuild_drops(OUT dropped bigint, OUT sample text[])
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMPORARY TABLE s3index_rebuild_dropped ON COMMIT DROP AS
    SELECT o.bucket, o.key
    FROM objects o
    WHERE NOT o.deleted AND NOT o.listed
      AND NOT EXISTS (SELECT 1 FROM objects_rebuild r WHERE r.bucket = o.bucket AND r.key = o.key);
    SELECT count(*) INTO dropped FROM s3index_rebuild_dropped;
    SELECT array_agg(k) INTO sample
    FROM (SELECT bucket || '/' || key AS k FROM s3index_rebuild_dropped ORDER BY bucket, key LIMIT 10) s;
    DROP TABLE s3index_rebuild_dropped;
END
$$;
