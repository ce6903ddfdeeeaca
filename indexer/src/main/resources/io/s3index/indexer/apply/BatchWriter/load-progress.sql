-- The next offset per partition that the index has durably applied, for one group and topic.
SELECT partition, next_offset
FROM indexer_progress
WHERE consumer_group = :group AND topic = :topic
