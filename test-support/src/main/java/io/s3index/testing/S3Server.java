package io.s3index.testing;

import java.net.URI;

/** An S3 server the tests share (S3Proxy embedded, or MinIO in a container); tests isolate themselves by bucket. */
public interface S3Server {

  /** The endpoint, path-style. */
  URI endpoint();

  String accessKey();

  String secretKey();
}
