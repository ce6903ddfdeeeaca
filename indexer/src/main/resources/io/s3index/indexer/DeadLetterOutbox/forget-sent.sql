-- Sent dead letters are kept a week (for ops and audits), then removed.
DELETE FROM dead_letters
WHERE consumer_group = :group AND topic = :topic AND sent_at < now() - interval '7 days'
