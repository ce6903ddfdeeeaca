-- One row per (bucket, key): the current state of the object, or a tombstone when its newest
-- event was a delete. Tombstones keep the delete's sequencer so that a late, older create
-- cannot resurrect the object; listings never show them (every listing index is partial).
CREATE TABLE objects (
    bucket        text COLLATE "C" NOT NULL,
    key           text COLLATE "C" NOT NULL,
    size          bigint           NOT NULL DEFAULT 0,
    etag          text,
    content_type  text,
    last_modified timestamptz      NOT NULL,
    storage_class text,
    version_id    text,
    -- Normalized sequencer: upper-case hex without trailing zeros, so that text order under
    -- COLLATE "C" is the AWS rule (pad the shorter with zeros on the right, then compare).
    sequencer     text COLLATE "C" NOT NULL,
    deleted       boolean          NOT NULL DEFAULT false,
    metadata      jsonb,
    event_time    timestamptz      NOT NULL,
    indexed_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (bucket, key)
);

-- Keyset indexes, one per sort the API offers, each ending in the key as the unique
-- tie-breaker and restricted to live rows. A prefix filter is a key range on the first one.
CREATE INDEX objects_live_by_key ON objects (bucket, key) WHERE NOT deleted;
CREATE INDEX objects_live_by_last_modified ON objects (bucket, last_modified, key) WHERE NOT deleted;
CREATE INDEX objects_live_by_size ON objects (bucket, size, key) WHERE NOT deleted;
