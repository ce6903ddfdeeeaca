package io.s3index.testing;

import io.s3index.shared.events.Topics;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** A Kafka broker the tests share (embedded or a container); tests isolate themselves by topic. */
public interface KafkaServer {

  String bootstrapServers();

  /** An admin client for this broker; the caller closes it. */
  default Admin admin() {
    return Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
  }

  /** Creates a topic unless it exists. */
  default void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      Topics.create(admin, name, partitions);
    }
  }
}
