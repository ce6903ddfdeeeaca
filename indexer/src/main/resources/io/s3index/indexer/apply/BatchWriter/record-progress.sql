-- Advances the per-partition progress rows in the batch's transaction. Offsets only move forward
-- (a replay of an older batch after a rebalance must not move them back); the newest event time
-- is the greater of the stored and the incoming one.
INSERT INTO indexer_progress AS p (consumer_group, topic, partition, next_offset, last_event_time, updated_at)
SELECT g, t, n, o, e, now()
FROM unnest(:groups::text[], :topics::text[], :partitions::integer[], :offsets::bigint[],
            :eventTimes::timestamptz[]) AS b (g, t, n, o, e)
ON CONFLICT (consumer_group, topic, partition) DO UPDATE
SET next_offset     = GREATEST(p.next_offset, EXCLUDED.next_offset),
    last_event_time = GREATEST(p.last_event_time, EXCLUDED.last_event_time),
    updated_at      = EXCLUDED.updated_at
