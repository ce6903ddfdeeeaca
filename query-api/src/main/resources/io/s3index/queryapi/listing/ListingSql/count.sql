-- The exact number of live objects a listing's filters match (include_total).
SELECT count(*)
FROM objects o
WHERE o.bucket = :bucket AND NOT o.deleted <filters>
