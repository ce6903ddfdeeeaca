-- The queue's size for metrics: rows waiting, the oldest one's age, rows given up.
SELECT count(*) FILTER (WHERE NOT given_up) AS waiting,
       coalesce(extract(epoch FROM now() - min(queued_at) FILTER (WHERE NOT given_up)), 0) AS oldest_seconds,
       count(*) FILTER (WHERE given_up) AS given_up
FROM enrichment_queue
