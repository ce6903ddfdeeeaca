-- The exact number of live objects a listing's filters match (include_total).
SELECT count(*)
FROM <source>
WHERE o.bucket = :bucket AND NOT o.deleted <drive> <filters>
