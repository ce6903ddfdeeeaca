-- Records the buckets of a batch as known (the S3 endpoint's NoSuchBucket, ListBuckets), once:
-- a bucket already recorded costs one primary-key probe and takes no lock.
INSERT INTO buckets (name)
SELECT DISTINCT name FROM unnest(:names::text[]) AS n (name)
ON CONFLICT (name) DO NOTHING
