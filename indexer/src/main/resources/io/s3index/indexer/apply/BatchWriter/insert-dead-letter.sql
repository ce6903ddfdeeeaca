-- One dead letter into the outbox; a record already dead-lettered keeps its first row.
INSERT INTO dead_letters (consumer_group, topic, partition, source_offset, message_key, message, error)
VALUES (:group, :topic, :partition, :offset, :key, :message, :error)
ON CONFLICT DO NOTHING
