package io.s3index.embedded;

import io.s3index.shared.events.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Apache Kafka broker in KRaft mode (combined broker and controller, one node) running inside
 * this JVM. Its storage is formatted on start, as {@code kafka-storage format} would.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path logDir;
  private final boolean deleteOnClose;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path logDir,
      boolean deleteOnClose) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.logDir = logDir;
    this.deleteOnClose = deleteOnClose;
  }

  /**
   * Formats storage and starts a broker.
   *
   * @param host the host to listen on and advertise ({@code localhost} or {@code 127.0.0.1})
   * @param port the client port, or 0 for a free one
   * @param dataDir where to keep the log, or null for a temporary folder removed on close
   */
  public static EmbeddedKafka start(String host, int port, Path dataDir) {
    try {
      boolean temporary = dataDir == null;
      Path logDir = temporary ? Files.createTempDirectory("s3index-kafka") : dataDir;
      Files.createDirectories(logDir);
      int clientPort = FreePorts.resolve(port);
      int controllerPort = FreePorts.resolve(0);
      Properties props = new Properties();
      props.put("process.roles", "broker,controller");
      props.put("node.id", "1");
      props.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
      props.put("listeners", "PLAINTEXT://" + host + ":" + clientPort + ",CONTROLLER://" + host + ":" + controllerPort);
      props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + clientPort);
      props.put("controller.listener.names", "CONTROLLER");
      props.put("inter.broker.listener.name", "PLAINTEXT");
      props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      props.put("log.dirs", logDir.toString());
      props.put("num.partitions", "4");
      props.put("auto.create.topics.enable", "true");
      props.put("offsets.topic.replication.factor", "1");
      props.put("offsets.topic.num.partitions", "4");
      props.put("transaction.state.log.replication.factor", "1");
      props.put("transaction.state.log.min.isr", "1");
      props.put("share.coordinator.state.topic.replication.factor", "1");
      props.put("share.coordinator.state.topic.min.isr", "1");
      props.put("group.initial.rebalance.delay.ms", "0");
      props.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
      props.put("num.network.threads", "2");
      props.put("num.io.threads", "2");
      props.put("background.threads", "2");

      boolean formatted = Files.exists(logDir.resolve("meta.properties"));
      if (!formatted) {
        format(props, logDir);
      }
      KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      EmbeddedKafka kafka = new EmbeddedKafka(server, host + ":" + clientPort, logDir, temporary);
      kafka.awaitReady();
      log.info("Kafka (KRaft) listening on {}", kafka.bootstrapServers);
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Kafka's storage", e);
    }
  }

  private static void format(Properties props, Path logDir) throws IOException {
    Path config = logDir.resolve("server.properties");
    try (Writer out = Files.newBufferedWriter(config)) {
      props.store(out, "s3index embedded Kafka");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit = StorageTool.execute(new String[] {
        "format", "--cluster-id", Uuid.randomUuid().toString(), "--config", config.toString(),
        "--ignore-formatted"}, new PrintStream(output, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      throw new IllegalStateException("formatting Kafka storage failed: "
          + output.toString(StandardCharsets.UTF_8).trim());
    }
  }

  /** Waits until the broker answers metadata requests. */
  private void awaitReady() {
    try (Admin admin = admin()) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while Kafka was starting", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Kafka did not become ready", e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** An admin client for this broker; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
  }

  /** Creates a topic unless it exists. */
  public void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      Topics.create(admin, name, partitions);
    }
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    if (deleteOnClose) {
      Directories.deleteQuietly(logDir);
    }
  }
}
