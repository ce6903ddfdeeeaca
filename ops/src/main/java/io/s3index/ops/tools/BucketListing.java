package io.s3index.ops.tools;

import io.s3index.shared.events.ETags;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Walks a bucket with ListObjectsV2 in key order, turning S3's failures into one clear line. */
final class BucketListing {

  private final S3Client s3;
  private final String endpoint;

  BucketListing(S3Client s3, String endpoint) {
    this.s3 = s3;
    this.endpoint = endpoint;
  }

  /** The bucket's objects under {@code prefix}, in UTF-8 byte order, page by page. */
  Iterator<S3Object> objects(String bucket, String prefix) {
    try {
      return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix == null ? "" : prefix)
          .maxKeys(1000)).contents().iterator();
    } catch (RuntimeException e) {
      throw explain(e, bucket);
    }
  }

  /** Wraps an iterator so that S3 failures while paging also become one clear line. */
  Iterator<S3Object> guarded(Iterator<S3Object> inner, String bucket) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        try {
          return inner.hasNext();
        } catch (RuntimeException e) {
          throw explain(e, bucket);
        }
      }

      @Override
      public S3Object next() {
        try {
          return inner.next();
        } catch (RuntimeException e) {
          throw explain(e, bucket);
        }
      }
    };
  }

  /** HeadObject for each object, {@code concurrency} at a time; null where the object vanished. */
  List<HeadObjectResponse> head(String bucket, List<S3Object> objects, ExecutorService pool) {
    List<CompletableFuture<HeadObjectResponse>> calls = objects.stream()
        .map(o -> CompletableFuture.supplyAsync(() -> {
          try {
            return s3.headObject(b -> b.bucket(bucket).key(o.key()));
          } catch (S3Exception e) {
            if (e.statusCode() == 404) {
              return null;
            }
            throw explain(e, bucket);
          }
        }, pool)).toList();
    return calls.stream().map(CompletableFuture::join).toList();
  }

  static Map<String, String> metadata(HeadObjectResponse head) {
    Map<String, String> metadata = new TreeMap<>();
    head.metadata().forEach((k, v) -> metadata.put(k.toLowerCase(Locale.ROOT), v));
    return metadata;
  }

  static String etag(String raw) {
    return ETags.normalize(raw);
  }

  RuntimeException explain(RuntimeException e, String bucket) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof NoSuchBucketException) {
      return new IllegalArgumentException("bucket '" + bucket + "' does not exist at " + endpoint);
    }
    if (cause instanceof S3Exception s3e) {
      return new IllegalStateException("S3 at " + endpoint + " refused: " + s3e.statusCode() + " "
          + (s3e.awsErrorDetails() == null ? s3e.getMessage() : s3e.awsErrorDetails().errorMessage()));
    }
    if (cause instanceof SdkClientException) {
      return new IllegalStateException("cannot reach S3 at " + endpoint);
    }
    return cause instanceof RuntimeException r ? r : e;
  }
}
