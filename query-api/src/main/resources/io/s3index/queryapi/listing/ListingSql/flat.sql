-- One page of a flat listing: a strict row-value comparison from the cursor's boundary on the
-- partial index (bucket, <sort column>, key) of live rows, LIMIT page_size + 1 to learn whether
-- more rows follow. A previous page scans the other way from its boundary.
--   <source>   objects o, or, when a metadata or tag filter drives a key-ordered scan, its entries
--              in object_attrs a joined to objects o (the key conditions then name a.key)
--   <drive>    the driving entry's conditions on a (or nothing)
--   <visible>  the walk's snapshot filter, on every page after the first (or nothing)
--   <filters>  the request's filters, each "AND <condition>" on alias o (or nothing)
--   <after>    the cursor's boundary condition (or nothing on a first page)
--   <order>    the sort column (when not the key) and the key, ASC or DESC
--   <limit>    page_size + 1, a validated number. A literal, not a parameter: under a generic plan
--              (prepared statements after a few executions) an unknown LIMIT makes the planner price
--              a sort of the whole bucket instead of a short walk of the index.
SELECT o.key, o.size, o.etag, o.content_type, o.last_modified, o.storage_class, o.version_id,
       o.metadata::text AS metadata, o.tags::text AS tags
FROM <source>
WHERE o.bucket = :bucket AND NOT o.deleted <drive> <visible> <filters> <after>
ORDER BY <order>
LIMIT <limit>
