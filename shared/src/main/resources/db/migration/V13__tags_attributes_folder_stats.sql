-- Object tags, and two tables derived from objects that every writer keeps right without knowing
-- about them (statement triggers over the writes' transition tables, so one statement each per
-- written batch, never one per object):
--
--   object_attrs: one row per user-metadata entry ('m:' || name) and tag ('t:' || name) of every
--     live object: the index behind the metadata.<name> and tag.<name> filters. Names and values
--     are cut to 128 characters so that an entry always fits a btree page; a listing rechecks the
--     full value on the object's own jsonb.
--   folder_stats: for every folder (every prefix ending in '/', and '' for the whole bucket) the
--     number of live objects under it, their bytes and the newest last_modified, as rows per
--     stripe: each writing session adds its deltas to its own stripe (pg_backend_pid() % 16), so
--     concurrent indexers do not queue on the bucket's root row; a read sums the stripes.
--     objects and bytes are exact sums. newest is exact as the maximum over the stripes: a write
--     only raises its stripe's, and a write that removes a folder's newest object recomputes the
--     folder's newest from the index and lowers every stripe above it.

ALTER TABLE objects ADD COLUMN tags jsonb;

-- The change stamp of V10, with tags as enrichment.
CREATE OR REPLACE FUNCTION objects_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sequencer IS DISTINCT FROM OLD.sequencer OR NEW.deleted IS DISTINCT FROM OLD.deleted
       OR NEW.size IS DISTINCT FROM OLD.size OR NEW.last_modified IS DISTINCT FROM OLD.last_modified THEN
        NEW.version_xid := pg_current_xact_id();
        NEW.change_xid := NEW.version_xid;
    ELSE
        NEW.version_xid := OLD.version_xid;
        IF NEW.etag IS DISTINCT FROM OLD.etag OR NEW.content_type IS DISTINCT FROM OLD.content_type
           OR NEW.storage_class IS DISTINCT FROM OLD.storage_class
           OR NEW.version_id IS DISTINCT FROM OLD.version_id OR NEW.metadata IS DISTINCT FROM OLD.metadata
           OR NEW.tags IS DISTINCT FROM OLD.tags THEN
            NEW.change_xid := pg_current_xact_id();
        ELSE
            NEW.change_xid := OLD.change_xid;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TABLE object_attrs (
    bucket text COLLATE "C" NOT NULL,
    name   text COLLATE "C" NOT NULL,
    value  text COLLATE "C" NOT NULL,
    key    text COLLATE "C" NOT NULL,
    PRIMARY KEY (bucket, name, value, key)
);
-- "name is present" (metadata.<name>=*), in key order.
CREATE INDEX object_attrs_present ON object_attrs (bucket, name, key);

CREATE TABLE folder_stats (
    bucket  text COLLATE "C" NOT NULL,
    prefix  text COLLATE "C" NOT NULL,
    stripe  smallint         NOT NULL,
    objects bigint           NOT NULL,
    bytes   bigint           NOT NULL,
    newest  timestamptz,
    PRIMARY KEY (bucket, prefix, stripe)
);

-- The folders a key is in: '' and every prefix of it that ends in '/'.
CREATE FUNCTION s3index_folders(key text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ''::text
    UNION ALL
    SELECT array_to_string(s.parts[1:i], '/') || '/'
    FROM (SELECT string_to_array(key, '/') AS parts) s,
         generate_series(1, cardinality(s.parts) - 1) AS i
$$;

-- The folder a key is directly in: the key up to its last '/', or '' (the bucket). A key's
-- folders are its directory's (s3index_folders(s3index_dir(key)) = s3index_folders(key)), so
-- deltas are first summed per directory, and only distinct directories are expanded.
CREATE FUNCTION s3index_dir(key text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN strpos(key, '/') = 0 THEN '' ELSE left(key, length(key) - strpos(reverse(key), '/') + 1) END
$$;

-- The object_attrs entries of one object's metadata and tags.
CREATE FUNCTION s3index_attrs(metadata jsonb, tags jsonb, OUT name text, OUT value text) RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT left('m:' || m.key, 130), left(m.value, 128) FROM jsonb_each_text(metadata) m
    UNION ALL
    SELECT left('t:' || t.key, 130), left(t.value, 128) FROM jsonb_each_text(tags) t
$$;

-- The folder sizes of objects<suffix> (of one bucket, or all), computed from the objects: the
-- numbers folder_stats<suffix> must sum to, one row per folder with live objects.
CREATE FUNCTION s3index_folder_totals(suffix text, only_bucket text DEFAULT NULL)
RETURNS TABLE (bucket text, prefix text, objects bigint, bytes bigint, newest timestamptz)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH dirs AS (
            SELECT o.bucket, s3index_dir(o.key) AS dir, count(*) AS objects, sum(o.size) AS bytes,
                   max(o.last_modified) AS newest
            FROM %I o
            WHERE NOT o.deleted AND ($1 IS NULL OR o.bucket = $1)
            GROUP BY 1, 2
        )
        SELECT d.bucket::text, f.prefix, sum(d.objects)::bigint, sum(d.bytes)::bigint, max(d.newest)
        FROM dirs d, s3index_folders(d.dir) AS f (prefix)
        GROUP BY d.bucket, f.prefix$q$, 'objects' || suffix)
    USING only_bucket;
END
$$;

-- Folders whose kept sizes differ from the computed ones (ops reconcile), under a prefix.
CREATE FUNCTION s3index_folder_stats_drift(only_bucket text, under text DEFAULT '')
RETURNS TABLE (prefix text, objects bigint, bytes bigint, newest timestamptz,
               kept_objects bigint, kept_bytes bigint, kept_newest timestamptz)
LANGUAGE sql STABLE AS $$
    WITH computed AS (
        SELECT t.prefix, t.objects, t.bytes, t.newest
        FROM s3index_folder_totals('', only_bucket) t
        WHERE starts_with(t.prefix, under)
    ), kept AS (
        SELECT s.prefix::text AS prefix, sum(s.objects)::bigint AS objects, sum(s.bytes)::bigint AS bytes,
               max(s.newest) AS newest
        FROM folder_stats s
        WHERE s.bucket = only_bucket AND starts_with(s.prefix, under)
        GROUP BY s.prefix
        HAVING sum(s.objects) <> 0 OR sum(s.bytes) <> 0 OR max(s.newest) IS NOT NULL
    )
    SELECT coalesce(c.prefix, k.prefix), coalesce(c.objects, 0), coalesce(c.bytes, 0), c.newest,
           coalesce(k.objects, 0), coalesce(k.bytes, 0), k.newest
    FROM computed c FULL JOIN kept k ON k.prefix = c.prefix
    WHERE (coalesce(c.objects, 0), coalesce(c.bytes, 0), c.newest)
          IS DISTINCT FROM (coalesce(k.objects, 0), coalesce(k.bytes, 0), k.newest)
    ORDER BY 1
$$;

-- Recomputes one bucket's folder sizes (ops reconcile --fix). Writers wait for it (their triggers
-- need the table's ROW EXCLUSIVE lock), so no delta lands between the count and the swap; a writer
-- whose objects changed but whose trigger had not run yet adds its delta after, to the new rows.
CREATE FUNCTION s3index_folder_stats_repair(only_bucket text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    LOCK TABLE folder_stats IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM folder_stats WHERE bucket = only_bucket;
    INSERT INTO folder_stats (bucket, prefix, stripe, objects, bytes, newest)
    SELECT t.bucket, t.prefix, 0, t.objects, t.bytes, t.newest
    FROM s3index_folder_totals('', only_bucket) t;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;

-- Fills folder_stats<suffix> and object_attrs<suffix> from objects<suffix> (empty tables): the
-- migration below for the live index, ops rebuild for its shadow. One stripe, 0.
CREATE FUNCTION s3index_derive_fill(suffix text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$
        INSERT INTO %I (bucket, prefix, stripe, objects, bytes, newest)
        SELECT t.bucket, t.prefix, 0, t.objects, t.bytes, t.newest
        FROM s3index_folder_totals(%L) t$q$, 'folder_stats' || suffix, suffix);
    EXECUTE format($q$
        INSERT INTO %I (bucket, name, value, key)
        SELECT o.bucket, e.name, e.value, o.key
        FROM %I o, s3index_attrs(o.metadata, o.tags) e
        WHERE NOT o.deleted AND (o.metadata IS NOT NULL OR o.tags IS NOT NULL)
        ON CONFLICT DO NOTHING$q$, 'object_attrs' || suffix, 'objects' || suffix);
END
$$;

-- The statement trigger: TG_ARGV[0] is the suffix of the derived tables ('' for the live index,
-- '_rebuild' for the shadow). The transition tables are old_rows and new_rows.
CREATE FUNCTION objects_derive() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    suffix   text := coalesce(TG_ARGV[0], '');
    stats    text := quote_ident('folder_stats' || suffix);
    attrs    text := quote_ident('object_attrs' || suffix);
    stripe   smallint := (pg_backend_pid() % 16)::smallint;
    changes  text;
    lowered  text;
    buckets  text[];
    prefixes text[];
    removes  boolean;
    written  boolean;
    attributed boolean;
BEGIN
    -- Cheap exits first: most statements write nothing here (an upsert whose rows all conflicted
    -- fires its INSERT trigger with no rows) or carry no metadata or tags.
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) > 0, coalesce(bool_or(n.metadata IS NOT NULL OR n.tags IS NOT NULL), false)
        INTO written, attributed FROM new_rows n;
        IF NOT written THEN
            RETURN NULL;
        END IF;
        removes := false;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT count(*) > 0, coalesce(bool_or(o.metadata IS NOT NULL OR o.tags IS NOT NULL), false)
        INTO written, attributed FROM old_rows o;
        IF NOT written THEN
            RETURN NULL;
        END IF;
        removes := true;
    ELSE
        SELECT count(*) > 0, coalesce(bool_or(o.metadata IS NOT NULL OR o.tags IS NOT NULL), false)
        INTO written, attributed FROM old_rows o;
        IF NOT written THEN
            RETURN NULL;
        END IF;
        attributed := attributed OR EXISTS (SELECT 1 FROM new_rows n WHERE n.metadata IS NOT NULL OR n.tags IS NOT NULL);
        removes := true;
    END IF;

    -- Every written row as (bucket, key, was_live, old_size, old_lm, old_metadata, old_tags,
    -- is_live, new_size, new_lm, new_metadata, new_tags); the old_ columns are NULL unless the row
    -- was live before, the new_ ones unless it is live after.
    IF TG_OP = 'INSERT' THEN
        changes := $q$
            SELECT n.bucket, n.key, false AS was_live, NULL::bigint AS old_size,
                   NULL::timestamptz AS old_lm, NULL::jsonb AS old_metadata, NULL::jsonb AS old_tags,
                   NOT n.deleted AS is_live,
                   CASE WHEN NOT n.deleted THEN n.size END AS new_size,
                   CASE WHEN NOT n.deleted THEN n.last_modified END AS new_lm,
                   CASE WHEN NOT n.deleted THEN n.metadata END AS new_metadata,
                   CASE WHEN NOT n.deleted THEN n.tags END AS new_tags
            FROM new_rows n$q$;
    ELSIF TG_OP = 'DELETE' THEN
        changes := $q$
            SELECT o.bucket, o.key, NOT o.deleted AS was_live,
                   CASE WHEN NOT o.deleted THEN o.size END AS old_size,
                   CASE WHEN NOT o.deleted THEN o.last_modified END AS old_lm,
                   CASE WHEN NOT o.deleted THEN o.metadata END AS old_metadata,
                   CASE WHEN NOT o.deleted THEN o.tags END AS old_tags,
                   false AS is_live, NULL::bigint AS new_size, NULL::timestamptz AS new_lm,
                   NULL::jsonb AS new_metadata, NULL::jsonb AS new_tags
            FROM old_rows o$q$;
    ELSE
        changes := $q$
            SELECT n.bucket, n.key, NOT o.deleted AS was_live,
                   CASE WHEN NOT o.deleted THEN o.size END AS old_size,
                   CASE WHEN NOT o.deleted THEN o.last_modified END AS old_lm,
                   CASE WHEN NOT o.deleted THEN o.metadata END AS old_metadata,
                   CASE WHEN NOT o.deleted THEN o.tags END AS old_tags,
                   NOT n.deleted AS is_live,
                   CASE WHEN NOT n.deleted THEN n.size END AS new_size,
                   CASE WHEN NOT n.deleted THEN n.last_modified END AS new_lm,
                   CASE WHEN NOT n.deleted THEN n.metadata END AS new_metadata,
                   CASE WHEN NOT n.deleted THEN n.tags END AS new_tags
            FROM old_rows o JOIN new_rows n ON n.bucket = o.bucket AND n.key = o.key$q$;
    END IF;

    -- Folders that may lose their newest object (a removed or back-dated live row at or above the
    -- folder's newest): their newest is recomputed below, under locks on all their stripes.
    lowered := format($q$
        WITH c AS (%s), dirs AS (
            SELECT c.bucket, s3index_dir(c.key) AS dir, max(c.old_lm) AS removed
            FROM c
            WHERE c.was_live AND (NOT c.is_live OR c.new_lm < c.old_lm)
            GROUP BY 1, 2
        ), lowered AS (
            SELECT d.bucket, f.prefix, max(d.removed) AS removed
            FROM dirs d, s3index_folders(d.dir) AS f (prefix)
            GROUP BY d.bucket, f.prefix
        )
        SELECT array_agg(l.bucket ORDER BY l.bucket, l.prefix), array_agg(l.prefix ORDER BY l.bucket, l.prefix)
        FROM lowered l
        WHERE l.removed >= (SELECT max(s.newest) FROM %s s WHERE s.bucket = l.bucket AND s.prefix = l.prefix)$q$,
        changes, stats);
    IF removes THEN
        EXECUTE lowered INTO buckets, prefixes;
    END IF;
    IF buckets IS NOT NULL THEN
        -- Before the upsert, every row this statement will lock, in one ordered pass (its own
        -- stripe's rows of every touched folder, all stripes of those folders): two writers lock
        -- in the same order, so they cannot deadlock.
        EXECUTE format($q$
            WITH c AS (%s), dirs AS (
                SELECT DISTINCT c.bucket, s3index_dir(c.key) AS dir FROM c
            ), touched AS (
                SELECT DISTINCT d.bucket, f.prefix FROM dirs d, s3index_folders(d.dir) AS f (prefix)
            )
            SELECT 1 FROM %s s
            WHERE (s.stripe = $1 AND (s.bucket, s.prefix) IN (SELECT bucket, prefix FROM touched))
               OR (s.bucket, s.prefix) IN (SELECT * FROM unnest($2::text[], $3::text[]))
            ORDER BY s.bucket, s.prefix, s.stripe
            FOR UPDATE OF s$q$, changes, stats)
        USING stripe, buckets, prefixes;
    END IF;

    -- Counts, bytes and raised maxima: one upsert of every touched folder, in key order (two
    -- sessions sharing a stripe take its rows in the same order).
    EXECUTE format($q$
        WITH c AS (%s), d AS (
            SELECT bucket, s3index_dir(key) AS dir, sum(is_live::int - was_live::int) AS d_objects,
                   sum(coalesce(new_size, 0) - coalesce(old_size, 0)) AS d_bytes, max(new_lm) AS new_lm
            FROM c
            WHERE (was_live, old_size, old_lm) IS DISTINCT FROM (is_live, new_size, new_lm)
            GROUP BY 1, 2
        )
        INSERT INTO %s AS s (bucket, prefix, stripe, objects, bytes, newest)
        SELECT d.bucket, f.prefix, $1, sum(d.d_objects), sum(d.d_bytes), max(d.new_lm)
        FROM d, s3index_folders(d.dir) AS f (prefix)
        GROUP BY d.bucket, f.prefix
        ORDER BY d.bucket, f.prefix
        ON CONFLICT (bucket, prefix, stripe) DO UPDATE
        SET objects = s.objects + EXCLUDED.objects,
            bytes   = s.bytes + EXCLUDED.bytes,
            newest  = greatest(s.newest, EXCLUDED.newest)$q$, changes, stats)
    USING stripe;

    -- Asked again, now that this statement's rows are locked and written: a writer that committed
    -- in between may have recomputed a folder while this one's removal was not yet visible to it.
    IF removes THEN
        EXECUTE lowered INTO buckets, prefixes;
    END IF;
    IF buckets IS NOT NULL THEN
        EXECUTE format($q$
            SELECT 1 FROM %s s JOIN unnest($1::text[], $2::text[]) AS t (bucket, prefix)
              ON s.bucket = t.bucket AND s.prefix = t.prefix
            ORDER BY s.bucket, s.prefix, s.stripe
            FOR UPDATE OF s$q$, stats)
        USING buckets, prefixes;
        EXECUTE format($q$
            WITH t AS (
                SELECT t.bucket, t.prefix,
                       CASE WHEN t.prefix = ''
                            THEN (SELECT max(o.last_modified) FROM %1$I o
                                  WHERE o.bucket = t.bucket AND NOT o.deleted)
                            ELSE (SELECT max(o.last_modified) FROM %1$I o
                                  WHERE o.bucket = t.bucket AND NOT o.deleted AND o.key >= t.prefix
                                    AND o.key < left(t.prefix, -1) || '0')
                       END AS newest
                FROM unnest($1::text[], $2::text[]) AS t (bucket, prefix)
            )
            UPDATE %2$s s SET newest = t.newest
            FROM t
            WHERE s.bucket = t.bucket AND s.prefix = t.prefix
              AND s.newest IS NOT NULL AND (t.newest IS NULL OR s.newest > t.newest)$q$,
            TG_TABLE_NAME, stats)
        USING buckets, prefixes;
    END IF;

    -- Metadata and tag entries: the old ones the row no longer has go, the new ones come.
    IF NOT attributed THEN
        RETURN NULL;
    END IF;
    EXECUTE format($q$
        WITH c AS (%s)
        DELETE FROM %s a
        USING (SELECT c.bucket, c.key, e.name, e.value
               FROM c, LATERAL (SELECT * FROM s3index_attrs(c.old_metadata, c.old_tags)
                                EXCEPT
                                SELECT * FROM s3index_attrs(c.new_metadata, c.new_tags)) e
               WHERE (c.old_metadata IS NOT NULL OR c.old_tags IS NOT NULL)
                 AND (c.old_metadata, c.old_tags) IS DISTINCT FROM (c.new_metadata, c.new_tags)) r
        WHERE a.bucket = r.bucket AND a.name = r.name AND a.value = r.value AND a.key = r.key$q$,
        changes, attrs);
    EXECUTE format($q$
        WITH c AS (%s)
        INSERT INTO %s (bucket, name, value, key)
        SELECT c.bucket, e.name, e.value, c.key
        FROM c, LATERAL (SELECT * FROM s3index_attrs(c.new_metadata, c.new_tags)
                         EXCEPT
                         SELECT * FROM s3index_attrs(c.old_metadata, c.old_tags)) e
        WHERE (c.new_metadata IS NOT NULL OR c.new_tags IS NOT NULL)
          AND (c.old_metadata, c.old_tags) IS DISTINCT FROM (c.new_metadata, c.new_tags)
        ORDER BY c.bucket, e.name, e.value, c.key
        ON CONFLICT DO NOTHING$q$,
        changes, attrs);
    RETURN NULL;
END
$$;

-- Installs the statement triggers on objects<suffix>, writing the derived tables of that suffix.
CREATE FUNCTION s3index_derive_triggers(suffix text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    target text := 'objects' || suffix;
BEGIN
    EXECUTE format('CREATE TRIGGER objects_derive_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION objects_derive(%L)', target, suffix);
    EXECUTE format('CREATE TRIGGER objects_derive_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
                   'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION objects_derive(%L)', target, suffix);
    EXECUTE format('CREATE TRIGGER objects_derive_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION objects_derive(%L)', target, suffix);
END
$$;

SELECT s3index_derive_fill('');
SELECT s3index_derive_triggers('');
