package io.s3index.queryapi.s3;

/**
 * An S3 error answer: its HTTP status, S3's error code and message, and the bucket or key it is
 * about (for the document's {@code BucketName} / {@code Key}), written as S3's {@code <Error>}
 * document (no body for HEAD). The messages are S3's own wording, so tools show what they would
 * show against S3.
 */
final class S3Error extends RuntimeException {

  private final int status;
  private final String code;
  private final String bucket;
  private final String key;

  S3Error(int status, String code, String message, String bucket, String key) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.bucket = bucket;
    this.key = key;
  }

  S3Error(int status, String code, String message) {
    this(status, code, message, null, null);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  String bucket() {
    return bucket;
  }

  String key() {
    return key;
  }

  static S3Error noSuchBucket(String bucket) {
    return new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", bucket, null);
  }

  static S3Error noSuchKey(String bucket, String key) {
    return new S3Error(404, "NoSuchKey", "The specified key does not exist.", bucket, key);
  }

  static S3Error accessDenied(String message) {
    return new S3Error(403, "AccessDenied", message);
  }

  static S3Error invalidArgument(String message) {
    return new S3Error(400, "InvalidArgument", message);
  }

  static S3Error notImplemented() {
    return new S3Error(501, "NotImplemented",
        "A header or query you provided implies functionality that is not implemented. "
            + "This endpoint serves listings and reads from the s3index index.");
  }

  static S3Error methodNotAllowed() {
    return new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }

  static S3Error internal() {
    return new S3Error(500, "InternalError", "We encountered an internal error. Please try again.");
  }

  static S3Error slowDown() {
    return new S3Error(503, "SlowDown", "Please reduce your request rate.");
  }
}
