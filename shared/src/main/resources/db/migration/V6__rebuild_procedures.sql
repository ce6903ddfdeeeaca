-- ops rebuild replays the topic into a shadow table and swaps it in. The DDL that takes lives
-- here, as procedures; the tool only calls them.

-- A fresh, empty shadow with the live table's columns, defaults, constraints and indexes.
CREATE PROCEDURE s3index_rebuild_prepare()
LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS objects_rebuild;
    CREATE TABLE objects_rebuild (LIKE objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
END
$$;

-- Carries enrichment (content type, storage class, metadata) over from the live table to the
-- shadow for rows at the same version, so a rebuild does not forget what HeadObject found.
CREATE PROCEDURE s3index_rebuild_carry_enrichment()
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE objects_rebuild r
    SET content_type = o.content_type, storage_class = o.storage_class, metadata = o.metadata
    FROM objects o
    WHERE r.bucket = o.bucket AND r.key = o.key AND r.sequencer = o.sequencer
      AND NOT r.deleted AND r.content_type IS NULL AND r.metadata IS NULL
      AND (o.content_type IS NOT NULL OR o.metadata IS NOT NULL);
END
$$;

-- Swaps the shadow in: renames, gives its indexes and primary key the live names, and puts the
-- writer-stamping trigger on it. Run in the caller's transaction, which must hold the locks it
-- needs; the old table is left as objects_retired for the caller to drop.
CREATE PROCEDURE s3index_rebuild_swap()
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
    DROP TRIGGER objects_stamp_writer ON objects_retired;
    CREATE TRIGGER objects_stamp_writer BEFORE UPDATE ON objects
        FOR EACH ROW EXECUTE FUNCTION objects_stamp_writer();
END
$$;
