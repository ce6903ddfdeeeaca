package io.s3index.indexer;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.common.TopicPartition;

/**
 * The indexer's Prometheus metrics, served on its own port at {@code /metrics}: events consumed,
 * applied, stale, skipped, dead-lettered, enriched; batch latency; per partition the lag behind
 * the stored offset, the failed attempts at the batch in hand and the seconds it has been in
 * hand; the enrichment queue's backlog, oldest age and given-up rows. {@code /healthz} answers
 * 503 with the reason while the indexer is unhealthy (a partition stuck longer than the stall
 * timeout, or the consumer loop dead), 200 otherwise.
 */
final class IndexerMetrics implements AutoCloseable {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer batchLatency;
  private final Map<TopicPartition, Long> lag = new ConcurrentHashMap<>();
  private final HttpServer server;

  private final IndexerStats stats;
  private final Supplier<String> problem;

  /** @param problem why the indexer is unhealthy now, or null when it is healthy */
  IndexerMetrics(IndexerStats stats, int port, Supplier<String> problem) {
    this.stats = stats;
    this.problem = problem;
    counter("s3index_indexer_records_consumed", "Messages consumed and committed", stats, IndexerStats::records);
    counter("s3index_indexer_events_applied", "Events that changed the index", stats, IndexerStats::applied);
    counter("s3index_indexer_events_stale", "Events that lost to newer state (duplicates, late arrivals)", stats, IndexerStats::stale);
    counter("s3index_indexer_records_skipped", "Records that change nothing (test events, untracked types)", stats, IndexerStats::skipped);
    counter("s3index_indexer_records_dead_lettered", "Messages sent to the dead-letter topic", stats, IndexerStats::deadLettered);
    counter("s3index_indexer_batches_failed", "Batch attempts that failed and were retried", stats, IndexerStats::failedBatches);
    counter("s3index_indexer_objects_enriched", "Objects whose metadata HeadObject filled in", stats, IndexerStats::enriched);
    // Where batch time goes, to tell a slow database from slow parsing or a slow broker.
    stageCounter("parse", "parsing messages", stats, IndexerStats::parseNanos);
    stageCounter("write", "the database transaction (events, dead letters, offsets)", stats, IndexerStats::writeNanos);
    stageCounter("commit", "sending dead letters and committing offsets to Kafka", stats, IndexerStats::commitNanos);
    counter("s3index_indexer_enrichment_failures", "HeadObject calls that failed after retries", stats, IndexerStats::enrichmentFailures);
    Gauge.builder("s3index_indexer_enrichment_backlog", stats, IndexerStats::enrichmentBacklog)
        .description("Objects waiting for HeadObject (all indexers)").register(registry);
    Gauge.builder("s3index_indexer_enrichment_oldest_seconds", stats, IndexerStats::enrichmentOldestSeconds)
        .description("How long the oldest object has waited for HeadObject").register(registry);
    Gauge.builder("s3index_indexer_enrichment_given_up", stats, IndexerStats::enrichmentGivenUp)
        .description("Objects whose HeadObject failed permanently and was given up").register(registry);
    batchLatency = Timer.builder("s3index_indexer_batch_duration")
        .description("Time to parse, write and commit one batch")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    server = port < 0 ? null : start(port);
  }

  private void stageCounter(String stage, String help, IndexerStats stats, java.util.function.ToLongFunction<IndexerStats> nanos) {
    FunctionCounter.builder("s3index_indexer_batch_stage_seconds", stats, s -> nanos.applyAsLong(s) / 1e9)
        .tag("stage", stage).description("Seconds batches spent in " + help).register(registry);
  }

  private void counter(String name, String help, IndexerStats stats, ToDoubleFunction<IndexerStats> f) {
    FunctionCounter.builder(name, stats, f).description(help).register(registry);
  }

  private HttpServer start(int port) {
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress(port), 16);
      http.createContext("/metrics", exchange -> respond(exchange, 200,
          "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
      http.createContext("/healthz", exchange -> {
        String reason = problem.get();
        if (reason == null) {
          respond(exchange, 200, "application/json", "{\"status\":\"ok\"}");
        } else {
          respond(exchange, 503, "application/json", "{\"status\":\"unhealthy\",\"reason\":"
              + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(reason) + "}");
        }
      });
      http.start();
      return http;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve indexer metrics on port " + port, e);
    }
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String type,
      String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The port metrics are served on, or -1 when disabled. */
  int port() {
    return server == null ? -1 : server.getAddress().getPort();
  }

  void recordBatch(long nanos) {
    batchLatency.record(Duration.ofNanos(nanos));
  }

  /** Records a partition's lag behind its stored offset, registering its gauges the first time. */
  void lag(TopicPartition partition, long records) {
    if (lag.put(partition, records) == null) {
      String number = Integer.toString(partition.partition());
      Gauge.builder("s3index_indexer_consumer_lag", lag, m -> m.getOrDefault(partition, 0L))
          .description("Records between the offset stored with the data and the end of the partition")
          .tag("topic", partition.topic()).tag("partition", number)
          .register(registry);
      Gauge.builder("s3index_indexer_partition_failed_attempts", stats, s -> s.failedAttempts(partition.partition()))
          .description("Failed attempts at the batch the partition has in hand")
          .tag("topic", partition.topic()).tag("partition", number)
          .register(registry);
      Gauge.builder("s3index_indexer_partition_stuck_seconds", stats,
              s -> s.inHandFor().getOrDefault(partition.partition(), Duration.ZERO).toMillis() / 1000.0)
          .description("Seconds the partition's batch in hand has gone unwritten (0 when none)")
          .tag("topic", partition.topic()).tag("partition", number)
          .register(registry);
    }
  }

  /** Partitions no longer held: their lag is no longer this instance's to report. */
  void forget(String topic, java.util.Collection<Integer> partitions) {
    partitions.forEach(p -> lag.put(new TopicPartition(topic, p), 0L));
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
    registry.close();
  }
}
