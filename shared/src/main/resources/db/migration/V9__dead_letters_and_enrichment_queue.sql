-- Dead letters go out through this outbox: a batch writes the dead letters it found in its own
-- transaction, with its data and progress rows, and they are sent to <topic>.dlq after the
-- commit, then marked sent. A batch retried any number of times before its commit writes them
-- once (its failed attempts left nothing); one that committed is never read again (its progress
-- rows say so). The unsent ones are sent again after a crash.
CREATE TABLE dead_letters (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    source_offset  bigint      NOT NULL,
    message_key    bytea,
    message        bytea       NOT NULL,
    error          text        NOT NULL,
    failed_at      timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    PRIMARY KEY (consumer_group, topic, partition, source_offset)
);
CREATE INDEX dead_letters_unsent ON dead_letters (consumer_group, topic) WHERE sent_at IS NULL;

-- Creates whose content type and user metadata are still to be fetched with HeadObject, out of
-- the objects table: claiming, backing off and giving up are bookkeeping, and must not rewrite
-- object rows (walks and the change feed see row rewrites). Each row is one object version
-- (the sequencer); an enricher claims due rows with FOR UPDATE SKIP LOCKED by pushing
-- next_attempt_at past a lease, so two indexers never take the same row, and a claimer that dies
-- leaves its rows due again when the lease ends. Rows that back off are due later than new ones,
-- so new rows are never starved; permanent failures give up and keep their error.
CREATE TABLE enrichment_queue (
    bucket          text COLLATE "C" NOT NULL,
    key             text COLLATE "C" NOT NULL,
    sequencer       text COLLATE "C" NOT NULL,
    attempts        integer          NOT NULL DEFAULT 0,
    next_attempt_at timestamptz      NOT NULL DEFAULT now(),
    queued_at       timestamptz      NOT NULL DEFAULT now(),
    last_error      text,
    given_up        boolean          NOT NULL DEFAULT false,
    PRIMARY KEY (bucket, key)
);
CREATE INDEX enrichment_queue_due ON enrichment_queue (next_attempt_at) WHERE NOT given_up;

INSERT INTO enrichment_queue (bucket, key, sequencer)
SELECT bucket, key, sequencer FROM objects WHERE enrich_pending AND NOT deleted;
ALTER TABLE objects DROP COLUMN enrich_pending;

-- V8's reduce, without the column dropped above.
CREATE OR REPLACE PROCEDURE s3index_rebuild_load_part(part integer, parts integer)
LANGUAGE plpgsql AS $$
BEGIN
    IF parts < 1 OR part < 0 OR part >= parts THEN
        RAISE EXCEPTION 'part % of % does not exist', part, parts;
    END IF;
    INSERT INTO objects_rebuild (bucket, key, size, etag, content_type, last_modified,
                                 storage_class, version_id, sequencer, deleted, metadata,
                                 event_time, indexed_at)
    SELECT DISTINCT ON (bucket, key)
           bucket, key, size, etag, content_type, event_time, NULL, version_id, sequencer,
           deleted, metadata::jsonb, event_time, now()
    FROM objects_rebuild_events
    WHERE NOT removal AND (hashtext(key) & 2147483647) % parts = part
    ORDER BY bucket, key, sequencer DESC, ord;
END
$$;
