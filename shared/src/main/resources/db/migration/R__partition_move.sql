-- ops migrate --partitions N: moves objects, online, into a new table hash-partitioned by bucket
-- into N partitions (from a plain table, or from another partition count). The tool only calls
-- these; every step but the last runs beside the live writers and readers.
--   1. s3index_partition_move_prepare(N): the new table objects_partitioned with its indexes, and
--      a trigger on objects that mirrors every later write into it (a removed row's key is also
--      noted in objects_partition_gone).
--   2. The tool copies the rows in key order, batch by batch, each in a transaction of its own,
--      never overwriting a row the mirror wrote (so a copy read before a concurrent write cannot
--      undo it).
--   3. s3index_partition_move_switch(), in one transaction holding the writers back: removes the
--      rows a batch copied after their removal had been mirrored, and puts the new table in the
--      place of objects (V14's s3index_replace_objects); the old one is left as
--      objects_before_move until s3index_partition_move_cleanup() drops it.

CREATE OR REPLACE PROCEDURE s3index_partition_move_prepare(parts integer)
LANGUAGE plpgsql AS $$
DECLARE
    assignments text;
BEGIN
    IF parts < 1 OR parts > 1000 THEN
        RAISE EXCEPTION 'a partition count must be between 1 and 1000, not %', parts;
    END IF;
    CALL s3index_partition_move_cleanup();
    PERFORM s3index_create_objects_like('objects_partitioned', parts);
    PERFORM s3index_build_index(p.part, d.suffix)
    FROM s3index_parts('objects_partitioned') AS p(part), s3index_index_defs('objects') d;
    PERFORM s3index_finish_indexes('objects_partitioned');
    CREATE TABLE objects_partition_gone (bucket text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL);
    SELECT string_agg(format('%I = EXCLUDED.%I', attname, attname), ', ' ORDER BY attnum)
    INTO assignments
    FROM pg_attribute
    WHERE attrelid = 'objects'::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('bucket', 'key');
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION s3index_partition_mirror() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM objects_partitioned WHERE bucket = OLD.bucket AND key = OLD.key;
                INSERT INTO objects_partition_gone VALUES (OLD.bucket, OLD.key);
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' AND (OLD.bucket, OLD.key) IS DISTINCT FROM (NEW.bucket, NEW.key) THEN
                DELETE FROM objects_partitioned WHERE bucket = OLD.bucket AND key = OLD.key;
                INSERT INTO objects_partition_gone VALUES (OLD.bucket, OLD.key);
            END IF;
            INSERT INTO objects_partitioned SELECT NEW.*
            ON CONFLICT (bucket, key) DO UPDATE SET %s;
            RETURN NULL;
        END
        $body$
        $f$, assignments);
    CREATE TRIGGER objects_partition_mirror AFTER INSERT OR UPDATE OR DELETE ON objects
        FOR EACH ROW EXECUTE FUNCTION s3index_partition_mirror();
END
$$;

CREATE OR REPLACE PROCEDURE s3index_partition_move_switch()
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('objects_partitioned') IS NULL OR to_regclass('objects_partition_gone') IS NULL THEN
        RAISE EXCEPTION 'no partition move is prepared (s3index_partition_move_prepare)';
    END IF;
    DELETE FROM objects_partitioned p
    USING (SELECT DISTINCT bucket, key FROM objects_partition_gone) g
    WHERE p.bucket = g.bucket AND p.key = g.key
      AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = g.bucket AND o.key = g.key);
    DROP TRIGGER objects_partition_mirror ON objects;
    PERFORM s3index_replace_objects('objects_partitioned', 'objects_before_move');
END
$$;

CREATE OR REPLACE PROCEDURE s3index_partition_move_cleanup()
LANGUAGE plpgsql AS $$
BEGIN
    DROP TRIGGER IF EXISTS objects_partition_mirror ON objects;
    DROP TABLE IF EXISTS objects_partitioned;
    DROP TABLE IF EXISTS objects_partition_gone;
    DROP TABLE IF EXISTS objects_before_move;
END
$$;
