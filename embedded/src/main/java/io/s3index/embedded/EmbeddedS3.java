package io.s3index.embedded;

import java.io.ByteArrayInputStream;
import java.net.URI;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
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
  private final BlobStore store;

  private EmbeddedS3(S3Proxy proxy, String host, BlobStore store) {
    this.proxy = proxy;
    this.host = host;
    this.store = store;
  }

  /**
   * Starts the server.
   *
   * @param port the port, or 0 for a free one
   */
  public static EmbeddedS3 start(String host, int port) {
    return start(host, port, new TransientNio2BlobStore());
  }

  private static EmbeddedS3 start(String host, int port, BlobStore store) {
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(store)
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
    EmbeddedS3 s3 = new EmbeddedS3(proxy, host, store);
    log.info("S3 (S3Proxy) listening on {}", s3.endpoint());
    return s3;
  }

  /**
   * Puts an object straight into the server's store, as a PUT through its endpoint would, without
   * the HTTP round trip (hundreds of times faster: for loading large buckets in benchmarks).
   * Creates the bucket when it does not exist.
   */
  public void putDirect(String bucket, String key, byte[] content) {
    if (!store.containerExists(bucket)) {
      store.createContainer(bucket);
    }
    store.putBlob(PutObjectRequest.builder().bucket(bucket).key(key).contentLength((long) content.length).build(),
        new ByteArrayInputStream(content));
  }

  /** Deletes a bucket and everything in it, straight in the store (frees what {@link #putDirect} filled). */
  public void deleteDirect(String bucket) {
    if (store.containerExists(bucket)) {
      store.deleteContainer(bucket);
    }
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
