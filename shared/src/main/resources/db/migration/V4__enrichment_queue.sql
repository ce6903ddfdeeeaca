-- Creates whose content type and user metadata are still to be fetched with HeadObject. The flag
-- is written in the batch's transaction, so enrichment survives crashes: the indexer's enricher
-- takes rows from this partial index (the freshly applied ones first, then anything left over).
ALTER TABLE objects ADD COLUMN enrich_pending boolean NOT NULL DEFAULT false;
CREATE INDEX objects_enrich_pending ON objects (bucket, key) WHERE enrich_pending;
