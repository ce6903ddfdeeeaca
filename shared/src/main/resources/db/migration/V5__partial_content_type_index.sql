-- Most rows have no content type until enrichment (or ever, without it): keeping them out of the
-- content-type index makes every insert cheaper, and every content_type filter implies
-- "content_type IS NOT NULL", so the planner still uses it.
DROP INDEX objects_live_by_content_type;
CREATE INDEX objects_live_by_content_type ON objects (bucket, content_type, key)
    WHERE NOT deleted AND content_type IS NOT NULL;
