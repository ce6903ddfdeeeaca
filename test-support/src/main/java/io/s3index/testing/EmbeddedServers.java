package io.s3index.testing;

import io.s3index.embedded.EmbeddedKafka;
import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.embedded.EmbeddedS3;
import java.net.URI;

/** The embedded servers, started in this JVM on free ports. */
final class EmbeddedServers implements TestServers.Servers {

  private EmbeddedKafka kafka;
  private EmbeddedPostgresServer postgres;
  private EmbeddedS3 s3;

  @Override
  public TestServers.Mode mode() {
    return TestServers.Mode.EMBEDDED;
  }

  @Override
  public synchronized KafkaServer kafka() {
    if (kafka == null) {
      kafka = EmbeddedKafka.start("127.0.0.1", 0, null);
    }
    String bootstrap = kafka.bootstrapServers();
    return () -> bootstrap;
  }

  @Override
  public synchronized PostgresServer postgres() {
    if (postgres == null) {
      postgres = EmbeddedPostgresServer.start(0, null);
    }
    return postgres::createDatabase;
  }

  @Override
  public synchronized S3Server s3() {
    if (s3 == null) {
      s3 = EmbeddedS3.start("127.0.0.1", 0);
    }
    EmbeddedS3 server = s3;
    return new S3Server() {
      @Override
      public URI endpoint() {
        return server.endpoint();
      }

      @Override
      public String accessKey() {
        return EmbeddedS3.ACCESS_KEY;
      }

      @Override
      public String secretKey() {
        return EmbeddedS3.SECRET_KEY;
      }
    };
  }

  @Override
  public synchronized void close() {
    for (AutoCloseable server : new AutoCloseable[] {s3, kafka, postgres}) {
      if (server != null) {
        try {
          server.close();
        } catch (Exception e) {
          // The JVM is exiting; a server that fails to stop dies with it.
        }
      }
    }
  }
}
