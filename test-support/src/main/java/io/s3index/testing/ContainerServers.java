package io.s3index.testing;

import io.s3index.shared.db.DatabaseConfig;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Testcontainers' Kafka (KRaft), PostgreSQL and MinIO, with the images docker-compose.yml pins, on
 * one Docker network. MinIO is started with a Kafka notification target ({@value #MINIO_TARGET}, to
 * topic {@value #MINIO_TOPIC}) that reaches the Kafka container by its network alias, so a test can
 * subscribe a bucket's events to it.
 */
public final class ContainerServers implements TestServers.Servers {

  /** MinIO's notification target: ARN {@code arn:minio:sqs::s3index:kafka}. */
  public static final String MINIO_TARGET = "s3index";
  /** The topic MinIO's notification target writes to. */
  public static final String MINIO_TOPIC = "minio-events";

  private static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
  private static final String POSTGRES_IMAGE = "postgres:17";
  private static final String MINIO_IMAGE = "minio/minio:RELEASE.2025-03-12T18-04-18Z";
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final Network network = Network.newNetwork();
  private KafkaContainer kafka;
  private PostgreSQLContainer postgres;
  private MinIOContainer minio;

  @Override
  public TestServers.Mode mode() {
    return TestServers.Mode.CONTAINERS;
  }

  @Override
  public synchronized KafkaServer kafka() {
    if (kafka == null) {
      kafka = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE))
          .withNetwork(network)
          .withListener("kafka:19092");
      kafka.start();
    }
    String bootstrap = kafka.getBootstrapServers();
    return () -> bootstrap;
  }

  @Override
  public synchronized PostgresServer postgres() {
    if (postgres == null) {
      postgres = new PostgreSQLContainer(DockerImageName.parse(POSTGRES_IMAGE)).withNetwork(network);
      postgres.start();
    }
    PostgreSQLContainer server = postgres;
    return name -> createDatabase(server, name);
  }

  private static DatabaseConfig createDatabase(PostgreSQLContainer server, String name) {
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a plain database name: " + name);
    }
    try (Connection c = DriverManager.getConnection(server.getJdbcUrl(), server.getUsername(), server.getPassword());
         Statement s = c.createStatement()) {
      // The name is checked against a strict pattern above; CREATE DATABASE takes no parameters.
      if (!s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'").next()) {
        s.execute("CREATE DATABASE " + name);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    String url = "jdbc:postgresql://" + server.getHost() + ":" + server.getMappedPort(5432) + "/" + name;
    return new DatabaseConfig(url, server.getUsername(), server.getPassword(), 10);
  }

  @Override
  public synchronized S3Server s3() {
    if (minio == null) {
      kafka();
      minio = new MinIOContainer(DockerImageName.parse(MINIO_IMAGE))
          .withNetwork(network)
          .withEnv("MINIO_NOTIFY_KAFKA_ENABLE_" + MINIO_TARGET.toUpperCase(java.util.Locale.ROOT), "on")
          .withEnv("MINIO_NOTIFY_KAFKA_BROKERS_" + MINIO_TARGET.toUpperCase(java.util.Locale.ROOT), "kafka:19092")
          .withEnv("MINIO_NOTIFY_KAFKA_TOPIC_" + MINIO_TARGET.toUpperCase(java.util.Locale.ROOT), MINIO_TOPIC);
      minio.start();
    }
    MinIOContainer server = minio;
    return new S3Server() {
      @Override
      public URI endpoint() {
        return URI.create(server.getS3URL());
      }

      @Override
      public String accessKey() {
        return server.getUserName();
      }

      @Override
      public String secretKey() {
        return server.getPassword();
      }
    };
  }

  @Override
  public synchronized void close() {
    for (AutoCloseable c : new AutoCloseable[] {minio, kafka, postgres, network}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // The JVM is exiting.
        }
      }
    }
  }
}
