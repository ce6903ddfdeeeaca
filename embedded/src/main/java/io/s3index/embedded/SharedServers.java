package io.s3index.embedded;

/**
 * One embedded Kafka, PostgreSQL and S3 server per JVM, started on first use on free ports and
 * stopped when the JVM exits. For integration tests: each test class isolates itself by its own
 * database, topic and bucket names instead of starting servers of its own.
 */
public final class SharedServers {

  private static EmbeddedKafka kafka;
  private static EmbeddedPostgresServer postgres;
  private static EmbeddedS3 s3;
  private static boolean hookInstalled;

  private SharedServers() {}

  public static synchronized EmbeddedKafka kafka() {
    if (kafka == null) {
      kafka = EmbeddedKafka.start("127.0.0.1", 0, null);
      installHook();
    }
    return kafka;
  }

  public static synchronized EmbeddedPostgresServer postgres() {
    if (postgres == null) {
      postgres = EmbeddedPostgresServer.start(0, null);
      installHook();
    }
    return postgres;
  }

  public static synchronized EmbeddedS3 s3() {
    if (s3 == null) {
      s3 = EmbeddedS3.start("127.0.0.1", 0);
      installHook();
    }
    return s3;
  }

  private static void installHook() {
    if (!hookInstalled) {
      hookInstalled = true;
      Runtime.getRuntime().addShutdownHook(new Thread(SharedServers::stopAll, "shared-servers-stop"));
    }
  }

  private static synchronized void stopAll() {
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
