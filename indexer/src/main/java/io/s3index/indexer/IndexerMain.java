package io.s3index.indexer;

import io.s3index.shared.config.ConfigException;
import io.s3index.shared.config.Settings;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar s3index-indexer-all.jar}: runs the indexer, configured by environment variables. */
public final class IndexerMain {

  private static final Logger log = LoggerFactory.getLogger(IndexerMain.class);

  private IndexerMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println("""
          Usage: java -jar s3index-indexer-all.jar
          Consumes S3 object events from Kafka and applies them to the PostgreSQL index.
          Configured by environment variables (defaults in brackets):
            S3INDEX_KAFKA_BOOTSTRAP_SERVERS [localhost:9092]
            S3INDEX_TOPIC [s3-events]           dead letters go to <topic>.dlq
            S3INDEX_GROUP_ID [s3index-indexer]
            S3INDEX_MAX_POLL_RECORDS [5000]
            S3INDEX_MAX_BACKOFF [10s]
            S3INDEX_DB_URL [jdbc:postgresql://localhost:5432/s3index]
            S3INDEX_DB_USER [s3index]  S3INDEX_DB_PASSWORD [s3index]  S3INDEX_DB_POOL_SIZE [2]
            S3INDEX_DB_MIGRATE [true]
            S3INDEX_S3_ENDPOINT, S3INDEX_S3_REGION [us-east-1], S3INDEX_S3_ACCESS_KEY,
            S3INDEX_S3_SECRET_KEY, S3INDEX_S3_PATH_STYLE   (the store HeadObject enrichment reads)
            S3INDEX_ENRICH [true when an S3 endpoint or region is set]
            S3INDEX_ENRICH_CONCURRENCY [16]
            S3INDEX_INDEXER_METRICS_PORT [9400]  (-1 = off)
            S3INDEX_KAFKA_CONSUMER_<PROPERTY> extra Kafka consumer properties""");
      return;
    }
    IndexerConfig config;
    try {
      config = IndexerConfig.from(Settings.fromEnvironment());
    } catch (ConfigException e) {
      System.err.println("s3index-indexer: " + e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopping = new CountDownLatch(1);
    Indexer indexer = Indexer.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.countDown();
      log.info("stopping on signal");
      indexer.close();
    }, "indexer-shutdown"));
    log.info("indexer started: topic {}, group {}, database {}", config.topic(), config.groupId(),
        config.database().jdbcUrl());
    // A consumer loop that died of an unexpected error leaves nothing consuming: exit non-zero
    // rather than stay up looking healthy, so that the supervisor restarts the process.
    while (!stopping.await(1, TimeUnit.SECONDS)) {
      if (indexer.failure() != null) {
        log.error("exiting: the consumer loop died ({})", indexer.failure().toString());
        System.exit(1);
      }
    }
  }
}
