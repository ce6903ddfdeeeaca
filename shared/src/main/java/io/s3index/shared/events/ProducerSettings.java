package io.s3index.shared.events;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The one place producer properties are made: every s3index producer (the event publisher, the
 * indexer's dead letters, the tools and benchmarks) starts from these and adds what it needs.
 */
public final class ProducerSettings {

  private ProducerSettings() {}

  /**
   * A producer that loses nothing the broker acknowledged and never writes a record twice on a
   * retry: every in-sync replica acknowledges, idempotence on, lz4, bounded waits. The map is
   * mutable, for the caller's additions.
   */
  public static Map<String, Object> durable(String bootstrapServers, String clientId) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return config;
  }
}
