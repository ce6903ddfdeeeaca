package io.s3index.bench;

import io.s3index.embedded.EmbeddedKafka;
import io.s3index.embedded.EmbeddedPostgresServer;
import io.s3index.embedded.EmbeddedS3;

/** The real servers a benchmark run measures against, started once, on free ports. */
final class BenchEnvironment implements AutoCloseable {

  final EmbeddedPostgresServer postgres;
  final EmbeddedKafka kafka;
  final EmbeddedS3 s3;

  /**
   * @param durable PostgreSQL as production runs it (fsync and synchronous commit on): the
   *     default, so the figures are what those give; off only to compare with older figures
   */
  BenchEnvironment(boolean durable) {
    postgres = EmbeddedPostgresServer.start(0, null, durable);
    kafka = EmbeddedKafka.start("127.0.0.1", 0, null);
    s3 = EmbeddedS3.start("127.0.0.1", 0);
  }

  @Override
  public void close() {
    s3.close();
    kafka.close();
    postgres.close();
  }
}
