package io.s3index.queryapi.listing;

import java.time.Instant;

/** One live object as the index holds it. {@code metadataJson} is a JSON object or null. */
record ObjectRow(String key, long size, String etag, String contentType, Instant lastModified,
    String storageClass, String versionId, String metadataJson) {}
