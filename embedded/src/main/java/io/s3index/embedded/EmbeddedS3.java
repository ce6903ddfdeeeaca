package io.s3index.embedded;

import java.net.URI;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An S3-compatible server (S3Proxy) with an in-memory store, inside this JVM. */
public final class EmbeddedS3 implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3.class);

  /** The access key the embedded server accepts. */
  public static final String ACCESS_KEY = "s3index";
  /** The secret key the embedded server accepts. */
  public static final String SECRET_KEY = "s3index-secret";

  private final S3Proxy proxy;
  private final String host;

  private EmbeddedS3(S3Proxy proxy, String host) {
    this.proxy = proxy;
    this.host = host;
  }

  /**
   * Starts the server.
   *
   * @param port the port, or 0 for a free one
   */
  public static EmbeddedS3 start(String host, int port) {
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(new TransientNio2BlobStore())
        .endpoint(URI.create("http://" + host + ":" + port))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .ignoreUnknownHeaders(true)
        .build();
    try {
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.onSpinWait();
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start S3Proxy", e);
    }
    EmbeddedS3 s3 = new EmbeddedS3(proxy, host);
    log.info("S3 (S3Proxy) listening on {}", s3.endpoint());
    return s3;
  }

  public URI endpoint() {
    return URI.create("http://" + host + ":" + proxy.getPort());
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop S3Proxy", e);
    }
  }
}
