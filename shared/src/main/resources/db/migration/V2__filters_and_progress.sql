-- Content types compare byte-wise like keys, so 'image/*' is a range: content_type >= 'image/'
-- AND content_type < 'image0'. The indexer stores them lower-cased.
ALTER TABLE objects ALTER COLUMN content_type TYPE text COLLATE "C";

-- content_type filter in key order (the file browser's "only images in this folder").
CREATE INDEX objects_live_by_content_type ON objects (bucket, content_type, key) WHERE NOT deleted;

-- Per consumer group and partition: the next offset to read and the newest event time applied,
-- written in the same transaction as the batch that advanced them. The API reads it to show how
-- fresh the index is; ops status reads it for lag.
CREATE TABLE indexer_progress (
    consumer_group  text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    next_offset     bigint      NOT NULL,
    last_event_time timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
