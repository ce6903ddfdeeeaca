package io.s3index.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Each embedded server starts and works; they are started once for this class and stopped after it. */
class EmbeddedServersIT {

  private static EmbeddedKafka kafka;
  private static EmbeddedPostgresServer postgres;
  private static EmbeddedS3 s3;

  @org.junit.jupiter.api.BeforeAll
  static void start() {
    kafka = EmbeddedKafka.start("127.0.0.1", 0, null);
    postgres = EmbeddedPostgresServer.start(0, null);
    s3 = EmbeddedS3.start("127.0.0.1", 0);
  }

  @org.junit.jupiter.api.AfterAll
  static void stop() throws Exception {
    s3.close();
    kafka.close();
    postgres.close();
  }

  @Test
  void kafkaRoundTripsRecords() throws Exception {
    kafka.createTopic("smoke", 2);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>("smoke", "k" + i, "v" + i)).get();
      }
    }
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "smoke",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("smoke"));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (seen.size() < 10 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          seen.add(r.value());
        }
      }
    }
    assertThat(seen).hasSize(10).contains("v0", "v9");
  }

  @Test
  void postgresAnswersQueries() throws Exception {
    var config = postgres.createDatabase("smoke");
    try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
        ResultSet rs = c.createStatement().executeQuery("SELECT 'a' COLLATE \"C\" < 'b'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }
  }

  @Test
  void s3StoresObjects() {
    try (S3Client client = S3Client.builder()
        .endpointOverride(s3.endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY)))
        .build()) {
      client.createBucket(b -> b.bucket("smoke"));
      client.putObject(b -> b.bucket("smoke").key("a b/c.txt").contentType("text/plain"),
          RequestBody.fromString("hello", StandardCharsets.UTF_8));
      var head = client.headObject(b -> b.bucket("smoke").key("a b/c.txt"));
      assertThat(head.contentLength()).isEqualTo(5);
      assertThat(head.contentType()).isEqualTo("text/plain");
    }
  }
}
