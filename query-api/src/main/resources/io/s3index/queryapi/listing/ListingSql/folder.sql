-- One page of a folder listing (a delimiter): a recursive walk that probes the key index once per
-- entry and, when a key rolls up into a common prefix, jumps over every key under that prefix in
-- one probe, so a page of 100 folders costs about 100 index probes however many objects they hold.
--   <source>, <drive>, <visible>, <filters>  as in flat.sql; <k> the key column scanned
--   <start>      the cursor's boundary condition on the first entry (or nothing on a first page)
--   <direction>  ASC or DESC
--   <next>       the condition on the entry after w.key: past its common prefix, or past the key
-- The common prefix of a key is the key up to and including the first delimiter after the
-- prefix; NULL when the key has none (then it is an object of this folder).
WITH RECURSIVE walk(key, n) AS (
  (SELECT <k>, 1
   FROM <source>
   WHERE o.bucket = :bucket AND NOT o.deleted <drive> <visible> <filters> <start>
   ORDER BY <k> <direction>
   LIMIT 1)
  UNION ALL
  SELECT (SELECT <k>
          FROM <source>
          WHERE o.bucket = :bucket AND NOT o.deleted <drive> <visible> <filters> AND <next>
          ORDER BY <k> <direction>
          LIMIT 1),
         w.n + 1
  FROM walk w
  WHERE w.key IS NOT NULL AND w.n < :limit)
SELECT w.n,
       CASE WHEN strpos(substr(w.key, :prefixLength + 1), :delimiter) > 0
            THEN left(w.key, :prefixLength + strpos(substr(w.key, :prefixLength + 1), :delimiter) - 1
                             + :delimiterLength)
       END AS common_prefix,
       o.key, o.size, o.etag, o.content_type, o.last_modified, o.storage_class, o.version_id,
       o.metadata::text AS metadata, o.tags::text AS tags
FROM walk w
LEFT JOIN objects o
  ON o.bucket = :bucket AND o.key = w.key AND NOT o.deleted
 AND strpos(substr(w.key, :prefixLength + 1), :delimiter) = 0
WHERE w.key IS NOT NULL
ORDER BY w.n
