package io.s3index.queryapi.service;

import io.s3index.queryapi.QueryString;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Request counts and latency histograms by route template and status, plus JVM metrics, served
 * at {@code GET /metrics} in the Prometheus text format.
 */
public final class HttpMetrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /**
   * Timers by method, route and status. Building a timer's id (tags sorted, histogram
   * configured) for every request only to find the registered one costs more than recording.
   */
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  public HttpMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
  }

  /** The registry {@code /metrics} shows, for other parts of the API to add to. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public void install(JavalinConfig config) {
    config.requestLogger.http(this::record);
    config.routes.get("/metrics", ctx -> {
      QueryString.requireNone(ctx.queryString());
      ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(registry.scrape());
    });
  }

  private void record(Context ctx, Float millis) {
    Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
    String route = endpoint == null ? "unmatched" : endpoint.path;
    String method = ctx.method().name();
    int status = ctx.statusCode();
    timers.computeIfAbsent(method + ' ' + status + ' ' + route, k -> Timer.builder("http_server_requests")
            .description("HTTP requests by route template and status")
            .tag("method", method)
            .tag("route", route)
            .tag("status", Integer.toString(status))
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry))
        .record((long) (millis * 1_000_000), TimeUnit.NANOSECONDS);
  }
}
