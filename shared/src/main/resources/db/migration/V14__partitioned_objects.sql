-- objects, hash-partitioned by bucket (PostgreSQL declarative partitioning): every statement names
-- one bucket, so each touches one partition, while vacuum, index builds, rebuilds and purges work
-- a partition at a time. The partition count is chosen here, when the schema is created
-- (placeholder partitions: S3INDEX_DB_PARTITIONS, default 16); a database that already holds
-- objects keeps its table as it is until `ops migrate --partitions N` moves it, online.
--
-- Naming, which the rebuild and the migration rely on: partition i of table T is T_p<i> (three
-- digits), and each index of T named T<suffix> has, on each partition P, the index P<suffix>
-- (objects_live_by_size on objects, objects_p003_live_by_size on its partition 3).

-- The partitions of a table in order, or the table itself when it has none.
CREATE FUNCTION s3index_parts(tbl text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT part FROM (
        SELECT c.relname::text AS part
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = to_regclass(tbl)
        UNION ALL
        SELECT tbl WHERE NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = to_regclass(tbl))
    ) p ORDER BY part;
$$;

-- How many hash partitions a table has (0: not partitioned).
CREATE FUNCTION s3index_partition_count(tbl text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM pg_inherits WHERE inhparent = to_regclass(tbl);
$$;

-- The indexes of a table, each as its name's suffix after the table's name, whether it is the
-- primary key, and its definition after "ON <table>" (the same for a table and its partitions).
CREATE FUNCTION s3index_index_defs(tbl text)
RETURNS TABLE (suffix text, is_primary boolean, is_unique boolean, body text)
LANGUAGE sql STABLE AS $$
    SELECT substr(i.relname, length(tbl) + 1), x.indisprimary, x.indisunique,
           regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ', '')
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indrelid = to_regclass(tbl) AND left(i.relname, length(tbl)) = tbl
    ORDER BY x.indisprimary DESC, i.relname;
$$;

-- A new table named target with the columns, defaults and checks of objects and no indexes:
-- hash-partitioned by bucket into parts partitions when parts > 0, a plain table otherwise.
CREATE FUNCTION s3index_create_objects_like(target text, parts integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF parts < 0 OR parts > 1000 THEN
        RAISE EXCEPTION 'a partition count must be between 1 and 1000, not %', parts;
    END IF;
    IF parts = 0 THEN
        EXECUTE format('CREATE TABLE %I (LIKE objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', target);
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE objects INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY HASH (bucket)', target);
    FOR i IN 0 .. parts - 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                       target || '_p' || lpad(i::text, 3, '0'), target, parts, i);
    END LOOP;
END
$$;

-- Builds, on one part of target (a partition, or target itself), the copy of the index of objects
-- whose name ends in suffix. A primary key's copy is a plain unique index here, made the part's
-- primary key by s3index_finish_indexes. One call per part and index, so that they can run on
-- connections of their own.
CREATE FUNCTION s3index_build_index(part text, suffix text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    SELECT x.* INTO d FROM s3index_index_defs('objects') AS x WHERE x.suffix = s3index_build_index.suffix;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'objects has no index objects%', suffix;
    END IF;
    EXECUTE format('CREATE %sINDEX %I ON %I %s', CASE WHEN d.is_unique THEN 'UNIQUE ' ELSE '' END,
                   part || suffix, part, d.body);
END
$$;

-- After every part's indexes are built: makes each part's copy of the primary key its primary key
-- and, on a partitioned target, creates the parent's indexes, which adopt the parts' ones (no
-- second build); then gathers the planner's statistics.
CREATE FUNCTION s3index_finish_indexes(target text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d record;
    part text;
BEGIN
    FOR d IN SELECT * FROM s3index_index_defs('objects') LOOP
        IF d.is_primary THEN
            FOR part IN SELECT s3index_parts(target) LOOP
                EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
                               part, part || d.suffix, part || d.suffix);
            END LOOP;
        END IF;
        IF s3index_partition_count(target) > 0 THEN
            IF d.is_primary THEN
                EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (bucket, key)', target, target || d.suffix);
            ELSE
                EXECUTE format('CREATE %sINDEX %I ON %I %s', CASE WHEN d.is_unique THEN 'UNIQUE ' ELSE '' END,
                               target || d.suffix, target, d.body);
            END IF;
        END IF;
    END LOOP;
    EXECUTE format('ANALYZE %I', target);
END
$$;

-- Renames the table named source, its partitions and every index of them from source... to
-- target... (partition source_p003 becomes target_p003, index source_live_by_size target_live_by_size).
CREATE FUNCTION s3index_rename_family(source text, target text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    rel record;
BEGIN
    FOR rel IN
        WITH tables AS (SELECT s3index_parts(source) AS t UNION SELECT source)
        SELECT t AS name, 'TABLE' AS kind FROM tables
        UNION ALL
        SELECT i.relname, 'INDEX' FROM tables JOIN pg_index x ON x.indrelid = to_regclass(t)
        JOIN pg_class i ON i.oid = x.indexrelid
        ORDER BY 2, 1
    LOOP
        IF left(rel.name, length(source)) = source THEN
            EXECUTE format('ALTER %s %I RENAME TO %I', rel.kind, rel.name, target || substr(rel.name, length(source) + 1));
        END IF;
    END LOOP;
END
$$;

-- Puts the table named shadow in the place of objects: objects, its partitions and every index of
-- them are renamed from objects... to retired..., the shadow's from shadow... to objects..., and
-- the row stamping and derived-table triggers move to the new objects. The caller holds the locks
-- and decides when to drop the retired table.
CREATE FUNCTION s3index_replace_objects(shadow text, retired text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    live record;
    tbl text;
    event text;
BEGIN
    FOR live IN SELECT * FROM s3index_index_defs('objects') LOOP
        IF NOT EXISTS (SELECT 1 FROM s3index_index_defs(shadow) s WHERE s.suffix = live.suffix AND s.body = live.body) THEN
            RAISE EXCEPTION 'the shadow table % has no index like objects%', shadow, live.suffix;
        END IF;
    END LOOP;
    EXECUTE format('LOCK TABLE objects, %I IN ACCESS EXCLUSIVE MODE', shadow);
    DROP TRIGGER objects_stamp ON objects;
    FOREACH tbl IN ARRAY ARRAY['objects', shadow] LOOP
        FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', 'objects_derive_' || event, tbl);
        END LOOP;
    END LOOP;
    PERFORM s3index_rename_family('objects', retired);
    PERFORM s3index_rename_family(shadow, 'objects');
    CREATE TRIGGER objects_stamp BEFORE UPDATE ON objects
        FOR EACH ROW EXECUTE FUNCTION objects_stamp();
    PERFORM s3index_derive_triggers('');
END
$$;

-- A database created now gets the partitioned table (objects is still empty); one holding objects
-- keeps its table until ops migrate --partitions moves it online.
DO $$
BEGIN
    IF ${partitions} > 0 AND s3index_partition_count('objects') = 0 AND NOT EXISTS (SELECT 1 FROM objects) THEN
        PERFORM s3index_create_objects_like('objects_partitioned', ${partitions});
        PERFORM s3index_build_index(p.part, d.suffix)
        FROM s3index_parts('objects_partitioned') AS p(part), s3index_index_defs('objects') d;
        PERFORM s3index_finish_indexes('objects_partitioned');
        PERFORM s3index_replace_objects('objects_partitioned', 'objects_unpartitioned');
        DROP TABLE objects_unpartitioned;
    END IF;
END
$$;
