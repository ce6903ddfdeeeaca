-- Dead letters of this group and topic not yet sent, oldest first, locked so that no other
-- indexer sends them at the same time (it skips them).
SELECT topic, partition, source_offset, message_key, message, error, failed_at
FROM dead_letters
WHERE consumer_group = :group AND topic = :topic AND sent_at IS NULL
ORDER BY partition, source_offset
LIMIT :limit
FOR UPDATE SKIP LOCKED
