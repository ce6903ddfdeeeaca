-- The planner's estimate of count.sql, read from the top plan node, when the exact count is late.
EXPLAIN (FORMAT JSON)
SELECT 1
FROM <source>
WHERE o.bucket = :bucket AND NOT o.deleted <drive> <filters>
