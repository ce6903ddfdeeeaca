package io.s3index.ops.dev;

import io.s3index.embedded.EmbeddedS3;
import io.s3index.indexer.IndexerConfig;
import io.s3index.shared.db.DatabaseConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ops dev}: the embedded all-in-one mode. Real servers in one process (Kafka in KRaft
 * mode, PostgreSQL, S3Proxy), plus the indexer and the query API; stops cleanly on Ctrl-C.
 */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = {
        "Run the whole system in one process on embedded servers: Kafka (KRaft), PostgreSQL,",
        "an S3-compatible server (S3Proxy), the indexer and the query API. Ctrl-C stops it."})
public final class DevCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka port (default: ${DEFAULT-VALUE})")
  int kafkaPort;

  @Option(names = "--api-port", defaultValue = "7070", description = "query API port (default: ${DEFAULT-VALUE})")
  int apiPort;

  @Option(names = "--s3-port", defaultValue = "9000", description = "S3 port (default: ${DEFAULT-VALUE})")
  int s3Port;

  @Option(names = "--s3api-port", defaultValue = "7071",
      description = "S3-compatible endpoint of the index (default: ${DEFAULT-VALUE}; -1 = off)")
  int s3ApiPort;

  @Option(names = "--db-port", defaultValue = "5432", description = "PostgreSQL port (default: ${DEFAULT-VALUE})")
  int dbPort;

  @Option(names = "--metrics-port", defaultValue = "9400", description = "indexer metrics port (default: ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(names = "--topic", defaultValue = IndexerConfig.DEFAULT_TOPIC, description = "events topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--data-dir", description = "keep Kafka's and PostgreSQL's data here across runs (default: temporary, removed on exit)")
  Path dataDir;

  @Option(names = "--demo", description = "upload sample objects to bucket 'demo' and emit their events")
  boolean demo;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    requireFree("Kafka", "--kafka-port", kafkaPort);
    requireFree("query API", "--api-port", apiPort);
    requireFree("S3", "--s3-port", s3Port);
    requireFree("PostgreSQL", "--db-port", dbPort);
    if (s3ApiPort >= 0) {
      requireFree("S3-compatible endpoint", "--s3api-port", s3ApiPort);
    }
    requireFree("indexer metrics", "--metrics-port", metricsPort);

    out.println("Starting PostgreSQL, Kafka and S3 ...");
    out.flush();
    DevStack stack = DevStack.start(
        new DevStack.Options(kafkaPort, apiPort, s3Port, dbPort, metricsPort, topic, dataDir, s3ApiPort));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("Stopping ...");
      out.flush();
      stack.close();
      out.println("Stopped.");
      out.flush();
      stopped.countDown();
    }, "ops-dev-shutdown"));

    DatabaseConfig database = stack.database();
    out.println();
    out.println("s3index is running (embedded mode):");
    out.println("  browse      " + stack.apiUrl() + "/browse   the bucket browser");
    out.println("  query API   " + stack.apiUrl() + "   (OPEN: no access tokens in embedded mode)");
    if (stack.s3ApiUrl() != null) {
      out.println("  S3 API      " + stack.s3ApiUrl() + "   listings from the index for S3 tools (OPEN: any credentials)");
    }
    out.println("  Kafka       " + stack.bootstrapServers() + "   topic " + topic
        + ", dead letters " + topic + ".dlq");
    out.println("  S3          " + stack.s3Endpoint() + "   access key " + EmbeddedS3.ACCESS_KEY
        + ", secret key " + EmbeddedS3.SECRET_KEY);
    out.println("  PostgreSQL  " + database.jdbcUrl() + "   user " + database.user()
        + ", password " + database.password());
    out.println("  metrics     " + stack.apiUrl() + "/metrics (API), http://localhost:" + metricsPort
        + "/metrics (indexer)");
    out.flush();
    if (demo) {
      stack.loadDemo("demo", 300, out);
      out.println("Open: " + stack.apiUrl() + "/browse?bucket=demo");
      out.println("Try:  curl '" + stack.apiUrl() + "/v1/buckets/demo/objects?page_size=5'");
      out.println("      curl '" + stack.apiUrl()
          + "/v1/buckets/demo/objects?prefix=photos/&sort_by=size&sort_order=desc&page_size=3'");
      if (stack.s3ApiUrl() != null) {
        out.println("      aws s3 ls --recursive s3://demo --endpoint-url " + stack.s3ApiUrl());
      }
    }
    out.println("Press Ctrl-C to stop.");
    out.flush();
    stopped.await();
    return 0;
  }

  private static void requireFree(String what, String flag, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
    } catch (IOException e) {
      throw new IllegalStateException("port " + port + " (" + what + ") is in use; choose another with "
          + flag + " PORT, or 0 for any free port");
    }
  }
}
