-- HeadObject failed for these rows: each is due again after its own pause, or given up (a
-- permanent error, tried enough times), keeping the error.
UPDATE enrichment_queue AS q
SET next_attempt_at = now() + make_interval(secs => f.delay_seconds),
    last_error      = f.error,
    given_up        = f.give_up
FROM unnest(:buckets::text[], :keys::text[], :sequencers::text[], :errors::text[],
            :delays::double precision[], :giveUp::boolean[])
     AS f (bucket, key, sequencer, error, delay_seconds, give_up)
WHERE q.bucket = f.bucket AND q.key = f.key AND q.sequencer = f.sequencer
