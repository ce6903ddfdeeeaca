UPDATE dead_letters
SET sent_at = now()
WHERE consumer_group = :group AND topic = :topic
  AND (partition, source_offset) IN (SELECT * FROM unnest(:partitions::integer[], :offsets::bigint[]))
