package io.s3index.indexer.apply;

/**
 * A create the index just took that still needs its content type and metadata from S3. {@code
 * sequencer} identifies the row version, so enrichment never writes onto a newer one.
 */
public record AppliedCreate(String bucket, String key, String sequencer, String versionId,
    String etag) {}
