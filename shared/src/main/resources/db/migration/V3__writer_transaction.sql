-- The transaction that last wrote each row. A listing walk remembers the snapshot its first page
-- was read in (pg_current_snapshot()) and later pages keep only rows whose writer is visible in
-- it, so an object changed during the walk can never be returned twice: it leaves the walk
-- instead (it did not exist unchanged throughout), and objects created during the walk stay out.
ALTER TABLE objects ADD COLUMN writer_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

-- Every writer (indexer, backfill, repairs) gets this right without knowing about it.
CREATE FUNCTION objects_stamp_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.writer_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER objects_stamp_writer BEFORE UPDATE ON objects
    FOR EACH ROW EXECUTE FUNCTION objects_stamp_writer();
