-- The stored next offsets of the batch's partitions, locked until the batch commits: the writer
-- compares them with the offsets the consumer believes are stored, and a batch read from any
-- other position (the database lost its last commits in a crash or a failover, or another
-- group member moved on) is not written.
SELECT partition, next_offset
FROM indexer_progress
WHERE consumer_group = :group AND topic = :topic AND partition = ANY(:partitions::integer[])
FOR UPDATE
